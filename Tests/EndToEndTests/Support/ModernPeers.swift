import Foundation
import ProcessHarness

/// The `_meta` envelope every 2026-07-28 request carries.
func modernMeta(tasks: Bool = false, logLevel: String? = nil, progressToken: String? = nil, version: String = "2026-07-28") -> [String: Any] {
    var capabilities: [String: Any] = [:]
    if tasks { capabilities["extensions"] = ["io.modelcontextprotocol/tasks": [String: Any]()] }
    var meta: [String: Any] = [
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": ["name": "spool-tests", "version": "1"],
    ]
    if let logLevel { meta["io.modelcontextprotocol/logLevel"] = logLevel }
    if let progressToken { meta["progressToken"] = progressToken }
    return meta
}

/// A request's params with the envelope added.
func modernParams(_ params: [String: Any] = [:], tasks: Bool = false, logLevel: String? = nil, progressToken: String? = nil) -> [String: Any] {
    var params = params
    params["_meta"] = modernMeta(tasks: tasks, logLevel: logLevel, progressToken: progressToken)
    return params
}

func errorCode(_ message: [String: Any]?) -> Int? { (message?["error"] as? [String: Any])?["code"] as? Int }
func result(_ message: [String: Any]?) -> [String: Any]? { message?["result"] as? [String: Any] }

/// Raw JSON-RPC lines to and from a spool-mcp on stdio.
final class StdioPeer: @unchecked Sendable {
    let process: ChildProcess
    private var buffer: [UInt8] = []
    /// Messages read but not yet asked for.
    private(set) var unclaimed: [[String: Any]] = []

    init(_ process: ChildProcess) {
        self.process = process
        _ = fcntl(process.stdoutFD!, F_SETFL, fcntl(process.stdoutFD!, F_GETFL) | O_NONBLOCK)
    }

    func sendLine(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { _ = write(process.stdinFD!, $0.baseAddress, $0.count) }
    }

    func send(_ message: [String: Any]) throws {
        sendLine(String(decoding: try JSONSerialization.data(withJSONObject: message), as: UTF8.self))
    }

    /// The next message that `matches`, within `timeout`; others are kept for later.
    func next(timeout: Double = 15, where matches: ([String: Any]) -> Bool) async throws -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let index = unclaimed.firstIndex(where: matches) { return unclaimed.remove(at: index) }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(process.stdoutFD!, &chunk, chunk.count)
            if n > 0 {
                buffer += chunk[0..<n]
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Data(buffer[..<newline])
                    buffer.removeSubrange(...newline)
                    if let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] { unclaimed.append(object) }
                }
                continue
            }
            guard Date() < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Sends a request and returns its reply (notifications stay in `unclaimed`).
    func request(_ id: Int, _ method: String, _ params: [String: Any], timeout: Double = 15) async throws -> [String: Any]? {
        try send(["jsonrpc": "2.0", "id": id, "method": method, "params": params])
        return try await next(timeout: timeout) { ($0["id"] as? Int) == id && $0["method"] == nil }
    }

    func notifications(_ method: String) -> [[String: Any]] {
        unclaimed.filter { $0["method"] as? String == method }
    }
}

/// One 2026-07-28 POST and what came back: a JSON answer, or an SSE stream's messages.
struct ModernExchange {
    var status: Int
    var headers: [String: String]
    var messages: [[String: Any]]
    var rawBody: String
    var answer: [String: Any]? { messages.last { $0["id"] != nil && $0["method"] == nil } }
}

/// 2026-07-28 over HTTP: every POST stands alone, with the routing headers.
struct ModernHTTPPeer {
    let port: Int

    func headers(method: String, name: String?) -> [String: String] {
        var headers = ["Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                       "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method, "Connection": "close"]
        if let name { headers["Mcp-Name"] = name }
        return headers
    }

    /// Opens the POST and returns the connection (for streams a test reads by itself).
    func open(_ id: Any, _ method: String, _ params: [String: Any], name: String? = nil, headers extra: [String: String] = [:]) throws -> HTTPTestConnection {
        let connection = try HTTPTestConnection(port: port)
        var headers = headers(method: method, name: name)
        headers.merge(extra) { $1 }
        let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": id, "method": method, "params": params])
        try connection.send(method: "POST", path: "/mcp", headers: headers, body: Array(body))
        return connection
    }

    func post(_ id: Any, _ method: String, _ params: [String: Any], name: String? = nil, headers extra: [String: String] = [:], timeout: Double = 30) async throws -> ModernExchange {
        let connection = try open(id, method, params, name: name, headers: extra)
        return try await Self.collect(connection, timeout: timeout)
    }

    static func collect(_ connection: HTTPTestConnection, timeout: Double = 30) async throws -> ModernExchange {
        try await connection.readHead(timeout: timeout)
        if connection.headers["content-type"]?.hasPrefix("text/event-stream") == true {
            var messages: [[String: Any]] = []
            while let event = try await connection.nextEvent(timeout: timeout) {
                guard let json = event.json else { continue }
                messages.append(json)
                if json["id"] != nil && json["method"] == nil { break }
            }
            return ModernExchange(status: connection.status, headers: connection.headers, messages: messages, rawBody: "")
        }
        let body = try await connection.readBody(timeout: timeout)
        let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        return ModernExchange(status: connection.status, headers: connection.headers, messages: json.map { [$0] } ?? [], rawBody: body)
    }
}
