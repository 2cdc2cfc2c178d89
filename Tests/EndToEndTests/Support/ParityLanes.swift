import Foundation
import ProcessHarness

/// One way of speaking MCP to spool-mcp: a revision over a transport. The parity suite
/// runs the same scenarios through each and compares what comes back, apart from the
/// envelope.
protocol ParityLane: AnyObject {
    var name: String { get }
    /// The server's name and version as this revision tells them.
    var serverInfo: [String: String] { get }
    /// One request's answer message (`result` or `error`); `tasks` declares the tasks
    /// extension (2026-07-28 only: 2025-11-25 has none).
    func request(_ method: String, _ params: [String: Any], tasks: Bool) async throws -> [String: Any]
    /// Follows a resource (2025-11-25: resources/subscribe; 2026-07-28: subscriptions/listen).
    func follow(_ uri: String) async throws
    /// Whether `notifications/resources/updated` for `uri` arrives within `timeout`.
    func updated(_ uri: String, timeout: Double) async throws -> Bool
    func close()
}

extension ParityLane {
    func request(_ method: String, _ params: [String: Any]) async throws -> [String: Any] {
        try await request(method, params, tasks: false)
    }
}

private var initializeParams: [String: Any] { [
    "protocolVersion": "2025-11-25", "capabilities": [String: Any](), "clientInfo": ["name": "spool-parity", "version": "1"],
] }

private func info(_ value: Any?) -> [String: String] {
    (value as? [String: Any])?.compactMapValues { $0 as? String } ?? [:]
}

private func isUpdate(_ message: [String: Any], _ uri: String) -> Bool {
    message["method"] as? String == "notifications/resources/updated" && (message["params"] as? [String: Any])?["uri"] as? String == uri
}

/// stdio, in either revision.
final class StdioLane: ParityLane, @unchecked Sendable {
    let name: String
    private let peer: StdioPeer
    private let modern: Bool
    private var nextID = 100
    private(set) var serverInfo: [String: String] = [:]

    init(spool: TestSpool, extra: [String], modern: Bool) async throws {
        name = "stdio " + (modern ? "2026-07-28" : "2025-11-25")
        self.modern = modern
        peer = StdioPeer(try spool.startFrontend(workers: 1, extra: extra))
        if modern {
            let discover = try await peer.request(1, "server/discover", modernParams())
            serverInfo = info(((discover?["result"] as? [String: Any])?["_meta"] as? [String: Any])?["io.modelcontextprotocol/serverInfo"])
        } else {
            let initialize = try await peer.request(1, "initialize", initializeParams)
            serverInfo = info((initialize?["result"] as? [String: Any])?["serverInfo"])
            try peer.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        }
    }

    func request(_ method: String, _ params: [String: Any], tasks: Bool) async throws -> [String: Any] {
        nextID += 1
        var params = params
        if modern { params["_meta"] = modernMeta(tasks: tasks) }
        return try await peer.request(nextID, method, params, timeout: 60) ?? [:]
    }

    func follow(_ uri: String) async throws {
        if modern {
            nextID += 1
            try peer.send(["jsonrpc": "2.0", "id": nextID, "method": "subscriptions/listen",
                           "params": modernParams(["notifications": ["resourceSubscriptions": [uri]]])])
            _ = try await peer.next(timeout: 15) { $0["method"] as? String == "notifications/subscriptions/acknowledged" }
        } else {
            _ = try await request("resources/subscribe", ["uri": uri])
        }
    }

    func updated(_ uri: String, timeout: Double) async throws -> Bool {
        try await peer.next(timeout: timeout) { isUpdate($0, uri) } != nil
    }

    func close() {}
}

/// Streamable HTTP, 2025-11-25: a session, each request's answer on its own stream,
/// notices on the GET stream.
final class HandshakeHTTPLane: ParityLane, @unchecked Sendable {
    let name = "HTTP 2025-11-25"
    private let client: HTTPMCPClient
    private var stream: HTTPTestConnection?
    private var nextID = 100
    private(set) var serverInfo: [String: String] = [:]

    init(port: Int) async throws {
        client = HTTPMCPClient(port: port)
        let connection = try client.post(["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initializeParams], session: false)
        var answer: [String: Any]?
        while answer == nil, let event = try await connection.nextEvent(timeout: 15) { answer = event.json } // past the priming event
        serverInfo = info((answer?["result"] as? [String: Any])?["serverInfo"])
        client.sessionID = connection.headers["mcp-session-id"] ?? ""
        _ = try client.post(["jsonrpc": "2.0", "method": "notifications/initialized"])
        let get = try HTTPTestConnection(port: port)
        try get.send(method: "GET", path: "/mcp", headers: ["Accept": "text/event-stream", "Mcp-Session-Id": client.sessionID,
                                                           "MCP-Protocol-Version": "2025-11-25"])
        try await get.readHead(timeout: 10)
        stream = get
    }

    func request(_ method: String, _ params: [String: Any], tasks: Bool) async throws -> [String: Any] {
        nextID += 1
        let connection = try client.post(["jsonrpc": "2.0", "id": nextID, "method": method, "params": params],
                                         extraHeaders: ["MCP-Protocol-Version": "2025-11-25"])
        while let event = try await connection.nextEvent(timeout: 60) {
            if let json = event.json, json["id"] != nil, json["method"] == nil { return json }
        }
        return [:]
    }

    func follow(_ uri: String) async throws {
        _ = try await request("resources/subscribe", ["uri": uri])
    }

    func updated(_ uri: String, timeout: Double) async throws -> Bool {
        guard let stream else { return false }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, let event = try await stream.nextEvent(timeout: deadline.timeIntervalSinceNow) {
            if let json = event.json, isUpdate(json, uri) { return true }
        }
        return false
    }

    func close() { stream?.hangUp() }
}

/// Streamable HTTP, 2026-07-28: every POST on its own, listen streams for follows.
final class EnvelopeHTTPLane: ParityLane, @unchecked Sendable {
    let name = "HTTP 2026-07-28"
    private let peer: ModernHTTPPeer
    private var listens: [String: HTTPTestConnection] = [:]
    private var nextID = 100
    private(set) var serverInfo: [String: String] = [:]

    init(port: Int) async throws {
        peer = ModernHTTPPeer(port: port)
        let discover = try await peer.post(1, "server/discover", modernParams())
        serverInfo = info(((discover.answer?["result"] as? [String: Any])?["_meta"] as? [String: Any])?["io.modelcontextprotocol/serverInfo"])
    }

    func request(_ method: String, _ params: [String: Any], tasks: Bool) async throws -> [String: Any] {
        nextID += 1
        var params = params
        params["_meta"] = modernMeta(tasks: tasks)
        let name = (params["name"] ?? params["uri"] ?? params["taskId"]) as? String
        return try await peer.post(nextID, method, params, name: name, timeout: 60).answer ?? [:]
    }

    func follow(_ uri: String) async throws {
        nextID += 1
        let connection = try peer.open(nextID, "subscriptions/listen", modernParams(["notifications": ["resourceSubscriptions": [uri]]]))
        _ = try await connection.nextEvent(timeout: 15) // the acknowledgement
        listens[uri] = connection
    }

    func updated(_ uri: String, timeout: Double) async throws -> Bool {
        guard let connection = listens[uri] else { return false }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, let event = try await connection.nextEvent(timeout: deadline.timeIntervalSinceNow) {
            if let json = event.json, isUpdate(json, uri) { return true }
        }
        return false
    }

    func close() { for (_, connection) in listens { connection.hangUp() } }
}
