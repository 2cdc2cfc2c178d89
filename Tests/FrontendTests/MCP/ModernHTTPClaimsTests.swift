@testable import Frontend
import Foundation
import Hummingbird
import Testing

@Suite("which era an /mcp request is")
struct ModernHTTPClaimsTests {
    static let discover = Array(#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{}}"#.utf8)
    static let initialize = Array(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#.utf8)

    @Test("POST: a 2026 version header, or a 2026 body without headers; 2025 headers and sessions stay 2025")
    func post() {
        #expect(ModernHTTP.claims(method: .post, headers: ["mcp-protocol-version": "2026-07-28"], body: Self.initialize))
        #expect(ModernHTTP.claims(method: .post, headers: ["mcp-protocol-version": "2026-07-28", "mcp-session-id": "x"], body: nil))
        #expect(ModernHTTP.claims(method: .post, headers: ["mcp-protocol-version": "2099-01-01"], body: nil), "unknown versions get the 2026 path's -32022")
        #expect(ModernHTTP.claims(method: .post, headers: [:], body: Self.discover))
        #expect(!ModernHTTP.claims(method: .post, headers: [:], body: Self.initialize))
        #expect(!ModernHTTP.claims(method: .post, headers: ["mcp-protocol-version": "2025-11-25"], body: Self.discover))
        #expect(!ModernHTTP.claims(method: .post, headers: ["mcp-session-id": "x"], body: Self.discover))
        #expect(!ModernHTTP.claims(method: .post, headers: [:], body: Array("not json".utf8)), "the 2025 path answers what is not JSON, as before")
    }

    @Test("GET and DELETE: 2025's with a session, otherwise 2026's (405)")
    func getAndDelete() {
        for method in [HTTPRequest.Method.get, .delete] {
            #expect(!ModernHTTP.claims(method: method, headers: ["mcp-session-id": "x"], body: nil))
            #expect(ModernHTTP.claims(method: method, headers: [:], body: nil))
            #expect(ModernHTTP.claims(method: method, headers: ["mcp-protocol-version": "2026-07-28"], body: nil))
        }
    }
}
