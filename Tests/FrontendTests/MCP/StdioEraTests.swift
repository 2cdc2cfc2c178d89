@testable import Frontend
import Foundation
import MCPWire
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

    @Test("discover first: 2026-07-28 until initialize, which makes it 2025-11-25; notifications/initialized dropped while modern")
    func modern() {
        var era = StdioEra()
        #expect(era.route(Self.discover) == .modern)
        #expect(era.state == .modern)
        #expect(era.route(Self.list) == .modern, "an enveloped or not, it is the modern path's to answer (-32602 when bare)")
        #expect(era.route(Self.value(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)) == .drop)
        #expect(era.route(Self.initialize) == .legacy)
        #expect(era.state == .legacy)
        #expect(era.route(Self.list) == .legacy)
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
