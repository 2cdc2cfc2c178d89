import Foundation
import Glibc
import ProcessHarness

/// A deliberately small HTTP/1.1 client over a loopback socket, so tests control exactly
/// what is sent and when it is read (including never reading at all). Reads are
/// non-blocking with short sleeps, so a test waiting on a socket never blocks one of the
/// few cooperative threads that other tests share.
final class HTTPTestConnection: @unchecked Sendable {
    let fd: Int32
    private var response = HTTPResponseDecoder()
    private(set) var ended = false
    var status: Int { response.status }
    var headers: [String: String] { response.headers }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(port: Int, receiveBuffer: Int32? = nil) throws {
        guard let fd = connectLoopback(port: port, receiveBuffer: receiveBuffer) else {
            throw Failure(description: "connect to port \(port): errno \(errno)")
        }
        self.fd = fd
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(fd) }

    /// Hangs up as a client that goes away does (the server sees the connection end). The
    /// descriptor itself is closed once, by deinit: closing it here too would close
    /// whatever another test opened under the same number meanwhile.
    func hangUp() {
        shutdown(fd, Int32(SHUT_RDWR))
    }

    func send(method: String, path: String, headers: [String: String] = [:], body: [UInt8] = []) throws {
        var head = "\(method) \(path) HTTP/1.1\r\n" + (headers.keys.contains("Host") ? "" : "Host: 127.0.0.1\r\n")
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8) + body
        while !bytes.isEmpty {
            let sent = Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL))
            if sent < 0 && errno == EAGAIN { usleep(1000); continue }
            guard sent > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            bytes.removeFirst(sent)
        }
    }

    /// Sends bytes exactly as given (a request head the test writes itself).
    /// - Returns: false when the server closed or reset the connection while sending.
    @discardableResult
    func sendRaw(_ text: String, body: [UInt8] = [], timeout: Double = 10) async throws -> Bool {
        var bytes = Array(text.utf8) + body
        let deadline = Date().addingTimeInterval(timeout)
        while !bytes.isEmpty {
            let sent = Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL))
            if sent < 0 && errno == EAGAIN {
                guard Date() < deadline else { throw Failure(description: "send blocked for \(timeout) s") }
                try await Task.sleep(for: .milliseconds(1))
                continue
            }
            guard sent > 0 else { return false }
            bytes.removeFirst(sent)
        }
        return true
    }

    /// Waits until the server closes (or resets) the connection; false if it is still
    /// open after `timeout`. Anything the server sent meanwhile is kept for `status`.
    func waitClosed(timeout: Double) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { response.feed(buffer[0..<count]); continue }
            if count == 0 || (errno != EAGAIN && errno != EINTR) { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Reads what arrived; false once the peer closed.
    private func pump() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count > 0 {
            response.feed(buffer[0..<count])
            if response.complete { ended = true }
            return true
        }
        if count == 0 { ended = true }
        return false
    }

    /// Waits for the status line and headers.
    func readHead(timeout: Double = 10) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !response.hasHead {
            if !pump() {
                if ended { throw Failure(description: "connection closed before a response") }
                guard Date() < deadline else { throw Failure(description: "no response within \(timeout) s") }
                try await Task.sleep(for: .milliseconds(1))
            }
        }
    }

    /// Waits until the body holds `text` (it is left there for the readers that follow).
    /// `/events` writes its opening comment once its journal reader is in place: events
    /// appended after that reach this client, those before may not.
    func waitForBody(containing text: String, timeout: Double = 10) async throws {
        try await readHead(timeout: timeout)
        let deadline = Date().addingTimeInterval(timeout)
        while response.body.firstRange(of: Array(text.utf8)) == nil {
            if !pump() {
                if ended { throw Failure(description: "connection closed before \(text)") }
                guard Date() < deadline else { throw Failure(description: "no \(text) within \(timeout) s") }
                try await Task.sleep(for: .milliseconds(1))
            }
        }
    }

    /// The whole body (until the last chunk or the connection closes).
    func readBody(timeout: Double = 20) async throws -> String {
        try await readHead(timeout: timeout)
        let deadline = Date().addingTimeInterval(timeout)
        while !ended {
            if !pump() {
                guard Date() < deadline else { throw Failure(description: "body not complete within \(timeout) s") }
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        return String(decoding: response.body, as: UTF8.self)
    }

    struct Event: Sendable {
        var id: String?
        var event: String?
        var data: String
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any]
        }
    }

    /// The next SSE event (comments skipped); nil at the end of the stream or after `timeout`.
    func nextEvent(timeout: Double = 10) async throws -> Event? {
        try await readHead(timeout: timeout)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            while let end = response.body.firstRange(of: Array("\n\n".utf8)) {
                let block = String(decoding: response.body[..<end.lowerBound], as: UTF8.self)
                response.body.removeSubrange(..<end.upperBound)
                var event = Event(data: "")
                var data: [String] = []
                for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix(":") { continue }
                    let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                    let value = parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""
                    switch parts[0] {
                    case "id": event.id = value
                    case "event": event.event = value
                    case "data": data.append(value)
                    default: break
                    }
                }
                event.data = data.joined(separator: "\n")
                if event.id != nil || event.event != nil || !data.isEmpty { return event }
            }
            if ended { return nil }
            if !pump() {
                if ended { continue }
                guard Date() < deadline else { return nil }
                try await Task.sleep(for: .milliseconds(1))
            }
        }
    }
}

/// One request on its own connection (`Connection: close`), body read to the end.
func httpRequest(port: Int, _ method: String, _ path: String, headers: [String: String] = [:], body: String = "") async throws -> (status: Int, headers: [String: String], body: String) {
    let connection = try HTTPTestConnection(port: port)
    var all = headers
    all["Connection"] = "close"
    try connection.send(method: method, path: path, headers: all, body: Array(body.utf8))
    let text = try await connection.readBody()
    return (connection.status, connection.headers, text)
}

/// A JSON-RPC session over Streamable HTTP, as an MCP client speaks it.
final class HTTPMCPClient: @unchecked Sendable {
    let port: Int
    var sessionID = ""
    private var nextID = 1

    init(port: Int) {
        self.port = port
    }

    static let accept = "application/json, text/event-stream"

    func initialize() async throws {
        let connection = try post(["jsonrpc": "2.0", "id": 0, "method": "initialize",
                                   "params": ["protocolVersion": "2025-06-18", "capabilities": [:] as [String: Any],
                                              "clientInfo": ["name": "spool-tests", "version": "1"]]], session: false)
        guard let event = try await connection.nextEvent(), event.json?["result"] != nil else {
            throw HTTPTestConnection.Failure(description: "initialize failed: status \(connection.status)")
        }
        sessionID = connection.headers["mcp-session-id"] ?? ""
        _ = try post(["jsonrpc": "2.0", "method": "notifications/initialized"])
    }

    /// POSTs one message and returns the connection its answer streams on.
    func post(_ message: [String: Any], session: Bool = true, extraHeaders: [String: String] = [:]) throws -> HTTPTestConnection {
        let connection = try HTTPTestConnection(port: port)
        var headers = ["Content-Type": "application/json", "Accept": Self.accept, "Connection": "close"]
        if session { headers["Mcp-Session-Id"] = sessionID }
        headers.merge(extraHeaders) { $1 }
        try connection.send(method: "POST", path: "/mcp", headers: headers, body: Array(try JSONSerialization.data(withJSONObject: message)))
        return connection
    }

    /// Calls a tool; returns every message of the answer's stream (notifications, then the result).
    func callTool(_ name: String, _ arguments: [String: Any], progressToken: String? = nil) async throws -> [[String: Any]] {
        nextID += 1
        var params: [String: Any] = ["name": name, "arguments": arguments]
        if let progressToken { params["_meta"] = ["progressToken": progressToken] }
        let connection = try post(["jsonrpc": "2.0", "id": nextID, "method": "tools/call", "params": params])
        var messages: [[String: Any]] = []
        while let event = try await connection.nextEvent(timeout: 30) {
            guard let json = event.json else { continue }
            messages.append(json)
            if json["id"] != nil { break }
        }
        return messages
    }
}
