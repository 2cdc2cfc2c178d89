import Spool
import Synchronization

/// Who is on the other end of one MCP connection (2025-11-25) or request (2026-07-28),
/// for the audit log and the request file: learned from `initialize` (or the request's
/// envelope) and from the transport. Shared by the connection's tool calls.
final class ClientIdentity: Sendable {
    private let client: Mutex<AuditClient>

    init(_ client: AuditClient) {
        self.client = Mutex(client)
    }

    var current: AuditClient { client.withLock { $0 } }

    /// `initialize`'s clientInfo, on the 2025-11-25 path.
    func introduce(name: String, version: String, revision: String? = nil) {
        client.withLock {
            $0.name = name
            $0.version = version
            if let revision { $0.revision = revision }
        }
    }
}
