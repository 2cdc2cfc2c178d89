import Foundation
import ProcessHarness

/// A minimal MCP client speaking newline-delimited JSON-RPC over a child's stdio, with
/// blocking reads: the benchmark must not add client-side polling delays of its own
/// (the SDK's StdioTransport sleeps 10 ms when no data is waiting).
final class RawMCPClient {
    let process: ChildProcess
    private var buffer: [UInt8] = []
    private var nextID = 1

    init(process: ChildProcess) throws {
        self.process = process
        _ = try request("initialize", [
            "protocolVersion": "2025-06-18", "capabilities": [String: Any](),
            "clientInfo": ["name": "spool-bench", "version": "1"],
        ])
        try send(["jsonrpc": "2.0", "method": "notifications/initialized"])
    }

    func callTool(_ name: String, _ arguments: [String: Any]) throws -> [String: Any] {
        try request("tools/call", ["name": name, "arguments": arguments])
    }

    func request(_ method: String, _ params: [String: Any]) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        try send(["jsonrpc": "2.0", "id": id, "method": method, "params": params])
        while true {
            let line = try readLine()
            guard let message = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
            if (message["id"] as? Int) == id {
                if let error = message["error"] { throw BenchError.protocolError("\(error)") }
                return message["result"] as? [String: Any] ?? [:]
            }
        }
    }

    private func send(_ message: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: message)
        data.append(10)
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(process.stdinFD!, raw.baseAddress! + offset, raw.count - offset)
                guard n > 0 else { throw BenchError.protocolError("spool-mcp closed its stdin") }
                offset += n
            }
        }
    }

    private func readLine() throws -> [UInt8] {
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(process.stdoutFD!, &chunk, chunk.count)
            guard n > 0 else { throw BenchError.protocolError("spool-mcp closed its stdout") }
            buffer.append(contentsOf: chunk[..<n])
        }
    }
}

enum BenchError: Error, CustomStringConvertible {
    case protocolError(String)
    case timeout(String)

    var description: String {
        switch self {
        case .protocolError(let text): "MCP: \(text)"
        case .timeout(let text): "timed out: \(text)"
        }
    }
}
