import Foundation
import ProcessHarness

/// A minimal MCP client speaking newline-delimited JSON-RPC over a child's stdio, with
/// blocking reads: the benchmark must not add client-side polling delays of its own
/// (the SDK's StdioTransport sleeps 10 ms when no data is waiting).
final class RawMCPClient {
    let process: ChildProcess
    private var buffer: [UInt8] = []
    private var nextID = 1

    /// The 2026-07-28 envelope stamped on every request, or nil for 2025-11-25.
    private let envelope: [String: Any]?

    /// A 2026-07-28 client: `server/discover` instead of the handshake, and the envelope
    /// (with the tasks extension when `tasks`) on every request.
    init(modern process: ChildProcess, tasks: Bool) throws {
        self.process = process
        var capabilities: [String: Any] = [:]
        if tasks { capabilities["extensions"] = ["io.modelcontextprotocol/tasks": [String: Any]()] }
        envelope = ["io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": capabilities,
                    "io.modelcontextprotocol/clientInfo": ["name": "spool-bench", "version": "1"]]
        _ = try request("server/discover", [:])
    }

    init(process: ChildProcess) throws {
        self.process = process
        envelope = nil
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
        let id = try post(method, params)
        while true {
            let (answered, result) = try nextAnswer()
            if answered == id { return result }
        }
    }

    /// Makes `count` calls of `name`, keeping `inFlight` of them outstanding on this one
    /// connection (answers may come in any order). Returns each call's latency in ms and
    /// the wall time of all of them in seconds.
    func pipelined(_ name: String, _ arguments: [String: Any], count: Int, inFlight: Int,
                   check: ([String: Any]) throws -> Void) throws -> (latencies: [Double], seconds: Double) {
        var sentAt: [Int: UInt64] = [:]
        var latencies: [Double] = []
        var sent = 0
        let start = DispatchTime.now().uptimeNanoseconds
        while latencies.count < count {
            while sent < count && sentAt.count < inFlight {
                let id = try post("tools/call", ["name": name, "arguments": arguments])
                sentAt[id] = DispatchTime.now().uptimeNanoseconds
                sent += 1
            }
            let (id, result) = try nextAnswer()
            guard let began = sentAt.removeValue(forKey: id) else { continue }
            try check(result)
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6)
        }
        return (latencies, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// Sends a request without waiting; returns its id.
    private func post(_ method: String, _ params: [String: Any]) throws -> Int {
        let id = nextID
        nextID += 1
        var params = params
        if let envelope { params["_meta"] = envelope }
        try send(["jsonrpc": "2.0", "id": id, "method": method, "params": params])
        return id
    }

    /// The next answer to a request (notifications are skipped).
    private func nextAnswer() throws -> (id: Int, result: [String: Any]) {
        while true {
            let line = try readLine()
            guard let message = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let id = message["id"] as? Int else { continue }
            if let error = message["error"] { throw BenchError.protocolError("\(error)") }
            return (id, message["result"] as? [String: Any] ?? [:])
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
