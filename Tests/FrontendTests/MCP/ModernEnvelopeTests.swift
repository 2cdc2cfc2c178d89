@testable import Frontend
import Foundation
import MCPWire
import Testing

@Suite("2026-07-28 envelope")
struct ModernEnvelopeTests {
    static func value(_ text: String) -> Value { try! JSONDecoder().decode(Value.self, from: Data(text.utf8)) }
    static let meta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"extensions":{"io.modelcontextprotocol/tasks":{}}},"io.modelcontextprotocol/logLevel":"info","progressToken":7}"#

    static func code(_ result: Result<MCPRequest, MCPError>) -> Int? {
        if case .failure(let error) = result { error.code } else { nil }
    }

    @Test("what is modern: server/discover, or a _meta naming a protocol version")
    func era() {
        #expect(ModernEnvelope.isModern(Self.value(#"{"jsonrpc":"2.0","id":1,"method":"server/discover"}"#)))
        #expect(ModernEnvelope.isModern(Self.value(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{\#(Self.meta)}}"#)))
        #expect(!ModernEnvelope.isModern(Self.value(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"progressToken":1}}}"#)))
        #expect(!ModernEnvelope.isModern(Self.value(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#)))
    }

    @Test("a complete envelope yields the request, its capabilities, log level and progress token")
    func accepted() throws {
        let request = try ModernEnvelope.classify(Self.value(#"{"jsonrpc":"2.0","id":"a","method":"tools/list","params":{\#(Self.meta)}}"#)).get()
        #expect(request.method == "tools/list" && request.id == .string("a"))
        #expect(request.acceptsTasks)
        #expect(request.logLevel == "info")
        #expect(request.progressToken == .int(7))
    }

    @Test("the ladder: missing keys -32602, headers -32020 before the version, then -32022 with data.supported")
    func ladder() {
        #expect(Self.code(ModernEnvelope.classify(Self.value(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#))) == -32602)
        #expect(Self.code(ModernEnvelope.classify(Self.value(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#))) == -32602)
        #expect(Self.code(ModernEnvelope.classify(Self.value(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":1,"io.modelcontextprotocol/clientCapabilities":{}}}}"#))) == -32602)
        let future = ModernEnvelope.classify(Self.value(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01","io.modelcontextprotocol/clientCapabilities":{}}}}"#))
        #expect(Self.code(future) == -32022)
        if case .failure(let error) = future { #expect(error.data?.objectValue?["supported"] == .array(["2026-07-28"])) }

        let call = Self.value(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run",\#(Self.meta)}}"#)
        let good = ["mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "run"]
        #expect(Self.code(ModernEnvelope.classify(call, headers: good)) == nil)
        #expect(Self.code(ModernEnvelope.classify(call, headers: good.merging(["mcp-name": "=?base64?cnVu?="]) { $1 })) == nil, "base64 form of run")
        #expect(Self.code(ModernEnvelope.classify(call, headers: good.merging(["mcp-name": "status"]) { $1 })) == -32020)
        #expect(Self.code(ModernEnvelope.classify(call, headers: good.merging(["mcp-method": "tools/list"]) { $1 })) == -32020)
        #expect(Self.code(ModernEnvelope.classify(call, headers: good.filter { $0.key != "mcp-protocol-version" })) == -32020)
        let task = Self.value(#"{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"taskId":"abc",\#(Self.meta)}}"#)
        #expect(Self.code(ModernEnvelope.classify(task, headers: ["mcp-protocol-version": "2026-07-28", "mcp-method": "tasks/get", "mcp-name": "abd"])) == -32020)
    }

    @Test("HTTP status of each error code")
    func statuses() {
        #expect(ModernProtocol.httpStatus(of: -32601) == 404)
        for code in [-32700, -32600, -32602, -32020, -32022] { #expect(ModernProtocol.httpStatus(of: code) == 400) }
        #expect(ModernProtocol.httpStatus(of: -32603) == 200)
    }
}
