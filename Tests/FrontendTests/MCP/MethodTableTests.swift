@testable import Frontend
import MCPWire
import Testing

@Suite("one method table for both revisions")
struct MethodTableTests {
    static func methods(_ kind: Revision.Kind, only: Bool) -> Set<String> {
        Set(MCPDispatcher.methods.filter { $0.value.revisions.contains(kind) && (!only || $0.value.revisions.count == 1) }.keys)
    }

    @Test("tools and resources are served in both revisions; the handshake, logging and subscribe only in 2025-11-25; discover, tasks and listen only in 2026-07-28")
    func revisions() {
        #expect(Self.methods(.handshake, only: false).intersection(Self.methods(.envelope, only: false))
            == ["tools/list", "tools/call", "resources/list", "resources/templates/list", "resources/read"])
        #expect(Self.methods(.handshake, only: true) == ["initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"])
        #expect(Self.methods(.envelope, only: true) == ["server/discover", "tasks/get", "tasks/cancel", "tasks/update", "subscriptions/listen"])
    }

    @Test("2026-07-28 cache hints: stable lists are public for 5 minutes, live reads private and uncached; calls carry none")
    func cacheHints() {
        #expect(MCPDispatcher.methods["tools/list"]?.cache?.ttlMs == 300_000)
        #expect(MCPDispatcher.methods["resources/read"]?.cache?.scope == "private")
        #expect(MCPDispatcher.methods["tools/call"]?.cache == nil)
    }

    @Test("initialize settles on the client's version when it is one of ours, else on the newest")
    func negotiation() {
        #expect(Revision.negotiate("2025-06-18") == "2025-06-18")
        #expect(Revision.negotiate("2024-11-05") == "2024-11-05")
        #expect(Revision.negotiate("2099-01-01") == "2025-11-25")
        #expect(Revision.negotiate("2026-07-28") == "2025-11-25", "2026-07-28 has no initialize")
        #expect(ModernProtocol.servedVersions == ["2026-07-28", "2025-11-25"])
    }
}
