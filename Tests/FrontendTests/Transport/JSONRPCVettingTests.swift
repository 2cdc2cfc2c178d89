@testable import Frontend
import Foundation
import MCPWire
import Testing

@Suite("JSON-RPC shape checks")
struct JSONRPCVettingTests {
    static func vet(_ text: String) -> JSONRPCVetting.Verdict {
        JSONRPCVetting.vet(try! JSONDecoder().decode(Value.self, from: Data(text.utf8)))
    }

    static func code(_ verdict: JSONRPCVetting.Verdict) -> Int? {
        if case .reply(let code, _, _) = verdict { code } else { nil }
    }

    static func id(_ verdict: JSONRPCVetting.Verdict) -> Value? {
        if case .reply(_, _, let id) = verdict { id } else { nil }
    }

    @Test("a notification with malformed params is ignored, never answered; the same as a request gets -32602")
    func malformedNotification() {
        #expect(Self.vet(#"{"jsonrpc":"2.0","method":"tools/call","params":[]}"#) == .ignore)
        #expect(Self.vet(#"{"jsonrpc":"2.0","method":"resources/read","params":{"uri":5}}"#) == .ignore)
        #expect(Self.code(Self.vet(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[]}"#)) == -32602)
    }

    @Test("well-formed messages pass")
    func passes() {
        for text in [
            #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
            #"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"run","arguments":{"command":"x"}}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"stats"}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            #"{"jsonrpc":"2.0","id":3,"result":{}}"#,
            #"{"jsonrpc":"2.0","id":4,"method":"logging/setLevel","params":{"level":"error"}}"#,
        ] {
            #expect(Self.vet(text) == .forward, "\(text)")
        }
    }

    @Test("bad ids are -32600 with id null; bad params are -32602 with the request's id")
    func faults() {
        let cases: [(String, Int, Value)] = [
            (#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#, -32600, .null),
            (#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#, -32600, .null),
            (#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, -32600, .null),
            (#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#, -32600, .null),
            (#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, -32600, .null),
            (#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, -32600, 1),
            (#"{"jsonrpc":"2.0","id":1,"method":5}"#, -32600, 1),
            (#"{"jsonrpc":"2.0","id":1}"#, -32600, 1),
            (#"[]"#, -32600, .null),
            (#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, -32600, .null),
            (#""text""#, -32600, .null),
            (#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":[]}"#, -32602, 2),
            (#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"run","arguments":"x"}}"#, -32602, 2),
            (#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":5}}"#, -32602, 2),
            (#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{}}"#, -32602, 2),
            (#"{"jsonrpc":"2.0","id":"s","method":"resources/read","params":{"uri":7}}"#, -32602, "s"),
            (#"{"jsonrpc":"2.0","id":2,"method":"logging/setLevel","params":{"level":"loud"}}"#, -32602, 2),
            (#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"run","_meta":5}}"#, -32602, 2),
        ]
        for (text, code, id) in cases {
            let verdict = Self.vet(text)
            #expect(Self.code(verdict) == code, "\(text)")
            #expect(Self.id(verdict) == id, "\(text)")
        }
    }

    @Test("before initialize, only initialize and ping requests pass; notifications go on")
    func gate() {
        func gate(_ text: String, _ initialized: Bool) -> Int? {
            Self.code(JSONRPCVetting.gate(try! JSONDecoder().decode(Value.self, from: Data(text.utf8)), initialized: initialized))
        }
        #expect(gate(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run"}}"#, false) == -32600)
        #expect(gate(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run"}}"#, true) == nil)
        #expect(gate(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, false) == nil)
        #expect(gate(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#, false) == nil)
        #expect(gate(#"{"jsonrpc":"2.0","method":"notifications/cancelled"}"#, false) == nil)
    }
}
