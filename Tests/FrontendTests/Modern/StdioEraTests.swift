@testable import Frontend
import Foundation
import MCP
import Testing

@Suite("stdio era")
struct StdioEraTests {
    static func value(_ text: String) -> Value { try! JSONDecoder().decode(Value.self, from: Data(text.utf8)) }
    static let initialize = value(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#)
    static let discover = value(#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{}}"#)
    static let list = value(#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#)

    @Test("initialize first: 2025-11-25 for good, even for a later discover")
    func legacy() {
        var era = StdioEra()
        #expect(era.route(Self.initialize) == .legacy)
        #expect(era.state == .legacy)
        #expect(era.route(Self.discover) == .legacy)
        #expect(era.route(Self.list) == .legacy)
    }

    @Test("discover first: 2026-07-28 for good; initialize is then -32022 and notifications/initialized dropped")
    func modern() {
        var era = StdioEra()
        #expect(era.route(Self.discover) == .modern)
        #expect(era.state == .modern)
        #expect(era.route(Self.list) == .modern, "an enveloped or not, it is the modern path's to answer (-32602 when bare)")
        guard case .reply(let code, _, let data) = era.route(Self.initialize) else {
            Issue.record("initialize on a modern connection was not refused")
            return
        }
        #expect(code == -32022 && data?.objectValue?["supported"] == .array(["2026-07-28"]))
        #expect(era.route(Self.value(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)) == .drop)
    }

    @Test("undecided: a bare request goes to the legacy gate (initialize first), and decides nothing")
    func undecided() {
        var era = StdioEra()
        #expect(era.route(Self.list) == .legacy)
        #expect(era.state == .undecided)
        #expect(era.route(Self.value(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#)) == .legacy)
        #expect(era.state == .undecided)
    }
}
