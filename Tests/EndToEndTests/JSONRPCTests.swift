import Foundation
import MCP
import Testing

/// JSON-RPC faults get the errors the spec names, on stdio and on HTTP.
@Suite("JSON-RPC faults", .timeLimit(.minutes(2)))
struct JSONRPCTests {
    /// Writes `lines` to a fresh spool-mcp's stdin and collects `count` replies.
    static func exchange(_ spool: TestSpool, _ lines: [String], count: Int) async throws -> [[String: Value]] {
        let process = try spool.startFrontend(workers: 1)
        let input = FileHandle(fileDescriptor: process.stdinFD!, closeOnDealloc: false)
        for line in lines { input.write(Data((line + "\n").utf8)) }
        var received = ""
        let deadline = Date().addingTimeInterval(15)
        _ = fcntl(process.stdoutFD!, F_SETFL, fcntl(process.stdoutFD!, F_GETFL) | O_NONBLOCK)
        while received.split(separator: "\n").count < count && Date() < deadline {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = read(process.stdoutFD!, &buffer, buffer.count)
            if n > 0 { received += String(decoding: buffer[0..<n], as: UTF8.self) } else { try await Task.sleep(for: .milliseconds(10)) }
        }
        return received.split(separator: "\n").compactMap {
            if case .object(let object)? = try? JSONDecoder().decode(Value.self, from: Data($0.utf8)) { object } else { nil }
        }
    }

    static func code(_ reply: [String: Value]) -> Int? {
        if case .object(let error)? = reply["error"], case .int(let code)? = error["code"] { code } else { nil }
    }

    @Test("before initialize only initialize and ping are served; bad params get -32602; bad ids get -32600 with id null")
    func stdioFaults() async throws {
        try await withSpool { spool in
            let marker = spool.root + "/../ran-before-initialize"
            let lines = [
                #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run","arguments":{"command":"touch \#(marker)"}}}"#,
                #"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
                #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":[]}"#,
                #"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"run","arguments":"x"}}"#,
                #"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":5}}"#,
                #"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"arguments":{}}}"#,
                #"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
                #"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#,
                #"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
                #"{"jsonrpc":"2.0","id":true,"method":"ping"}"#,
                #"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
                #"{"jsonrpc":"2.0","id":7,"method":"logging/setLevel","params":{"level":"warning"}}"#,
                #"{"jsonrpc":"2.0","id":8,"method":"logging/setLevel","params":{"level":"loud"}}"#,
                #"{"jsonrpc":"2.0","id":9,"method":"ping"}"#,
            ]
            let replies = try await Self.exchange(spool, lines, count: 14)
            func reply(_ id: Int) -> [String: Value]? { replies.first { $0["id"] == .int(id) } }
            #expect(reply(1).flatMap(Self.code) != nil, "a tools/call before initialize was answered without an error: \(String(describing: reply(1)))")
            #expect(reply(2)?["result"] != nil)
            for id in 3...6 {
                #expect(reply(id).flatMap(Self.code) == -32602, "id \(id): \(String(describing: reply(id)))")
            }
            if case .object(let error)? = reply(4)?["error"] { #expect(error["message"]?.stringValue?.contains("arguments") == true) }
            let nullIDs = replies.filter { $0["id"] == .null }
            #expect(nullIDs.count == 5, "replies with id null: \(nullIDs)")
            #expect(nullIDs.allSatisfy { Self.code($0) == -32600 })
            #expect(!replies.contains { $0["id"] == .string("") }, "id null was echoed as an empty string")
            #expect(reply(7)?["result"] != nil, "logging/setLevel: \(String(describing: reply(7)))")
            #expect(reply(8).flatMap(Self.code) == -32602)
            #expect(reply(9)?["result"] != nil)
            try await Task.sleep(for: .milliseconds(300))
            #expect(!FileManager.default.fileExists(atPath: marker), "a command ran before initialize")
        }
    }

    @Test("over HTTP, bad tools/call params get -32602 and bad ids -32600")
    func httpFaults() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 0)
            let client = HTTPMCPClient(port: port)
            try await client.initialize()
            let bad = try client.post(["jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": ["name": "run", "arguments": "x"]])
            let body = try await bad.readBody()
            #expect(body.contains("-32602") && body.contains("\"id\":3"), "\(body)")
            let badID = try client.post(["jsonrpc": "2.0", "id": true, "method": "ping"])
            _ = try await badID.readBody()
            #expect(badID.status == 400)
        }
    }
}
