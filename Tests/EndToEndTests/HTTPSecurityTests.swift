import Foundation
import Testing

/// DNS rebinding, Host and Origin checks on every route, and HTTP clients that try to
/// hold connections open: oversized bodies, trickled heads and bodies, too many connections.
@Suite("HTTP security", .serialized)
struct HTTPSecurityTests {
    static let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#

    /// One request with a head the test writes itself; returns the status (0 if the
    /// server closed without answering).
    static func raw(port: Int, _ method: String, _ path: String, hostLines: [String], extra: [String] = [], body: String = "") async throws -> Int {
        let connection = try HTTPTestConnection(port: port)
        var head = "\(method) \(path) HTTP/1.1\r\n"
        for line in hostLines { head += line + "\r\n" }
        for line in extra { head += line + "\r\n" }
        head += "Connection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        try await connection.sendRaw(head, body: Array(body.utf8))
        do { try await connection.readHead() } catch { return 0 }
        return connection.status
    }

    @Test("rebinding names get 403, userinfo, lists and missing or repeated Hosts 421, on every route; foreign Origins get 403")
    func rebinding() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1)
            let marker = spool.root + "/../rebound"
            let run = #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"run","arguments":{"command":"touch \#(marker)"}}}"#
            let mcp = ["Content-Type: application/json", "Accept: application/json, text/event-stream"]
            let routes: [(String, String, [String], String)] = [
                ("POST", "/mcp", mcp, Self.initialize), ("POST", "/mcp", mcp, run),
                ("GET", "/events", [], ""), ("GET", "/metrics", [], ""), ("GET", "/health", [], ""),
            ]
            // Rebinding names are forbidden (403); a Host that is missing, repeated or not an
            // authority is misdirected (421).
            let badHosts: [([String], Int)] = [
                (["Host: 127.0.0.1.evil.example:\(port)"], 403),
                (["Host: 127.evil.example:\(port)"], 403),
                (["Host: localhost.evil.example:\(port)"], 403),
                ([], 421),
                (["Host: 127.0.0.1:\(port)@evil.example"], 421),
                (["Host: 127.0.0.1:\(port), evil.example"], 421),
                (["Host: 127.0.0.1:\(port)", "Host: evil.example"], 421),
            ]
            for (method, path, extra, body) in routes {
                for (hosts, expected) in badHosts {
                    let status = try await Self.raw(port: port, method, path, hostLines: hosts, extra: extra, body: body)
                    #expect(status == expected, "\(method) \(path) with \(hosts) answered \(status)")
                }
                let origin = try await Self.raw(port: port, method, path, hostLines: ["Host: 127.0.0.1:\(port)"],
                                                extra: extra + ["Origin: http://127.0.0.1.evil.example:\(port)"], body: body)
                #expect(origin == 403, "\(method) \(path) with a rebinding Origin answered \(origin)")
            }
            // An absolute-form target names its own host, which counts instead of Host
            // (RFC 9112, 3.2.2): a rebinding name there is refused as it is in Host.
            for (method, path, extra, body) in routes {
                let absolute = "http://evil.example" + path
                let status = try await Self.raw(port: port, method, absolute, hostLines: ["Host: 127.0.0.1:\(port)"], extra: extra, body: body)
                #expect(status == 403, "\(method) \(absolute) with a loopback Host answered \(status)")
            }
            #expect(try await Self.raw(port: port, "GET", "http://127.0.0.1:\(port)/metrics", hostLines: ["Host: evil.example"]) == 200,
                    "a loopback absolute-form target is this server, whatever Host says")
            #expect(!FileManager.default.fileExists(atPath: marker), "a request through an absolute-form target ran")
            // The good names still work.
            for host in ["127.0.0.1:\(port)", "localhost:\(port)", "[::ffff:127.0.0.1]:\(port)"] {
                #expect(try await Self.raw(port: port, "GET", "/metrics", hostLines: ["Host: \(host)"]) == 200, "Host \(host)")
            }
            #expect(try await Self.raw(port: port, "POST", "/mcp", hostLines: ["Host: 127.0.0.1:\(port)"],
                                       extra: mcp + ["Origin: http://localhost:\(port)"], body: Self.initialize) == 200)
            try await Task.sleep(for: .milliseconds(500))
            #expect(!FileManager.default.fileExists(atPath: marker), "a rebound request ran a command")
        }
    }

    @Test("--allow-origin never turns off the Host check on loopback")
    func allowOriginKeepsHostCheck() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 0, extra: ["--allow-origin", "http://evil.example"])
            #expect(try await Self.raw(port: port, "GET", "/metrics", hostLines: ["Host: 127.0.0.1:\(port)"], extra: ["Origin: http://evil.example"]) == 200)
            #expect(try await Self.raw(port: port, "GET", "/metrics", hostLines: ["Host: evil.example"], extra: ["Origin: http://evil.example"]) == 403)
        }
    }

    @Test("an oversized body gets 413 and a closed connection; a large Content-Length is refused before the body")
    func oversizedBodies() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 0)
            let head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
            // Declared too large: answered and closed without sending any body.
            let declared = try HTTPTestConnection(port: port)
            try await declared.sendRaw(head + "Content-Length: 100000000\r\n\r\n")
            #expect(try await declared.waitClosed(timeout: 5), "the connection stayed open")
            #expect(declared.status == 413)
            // Sent in full (chunked, so no length tells in advance): the send must not block.
            let sent = try HTTPTestConnection(port: port)
            try await sent.sendRaw(head + "Transfer-Encoding: chunked\r\n\r\n")
            let chunk = Array("100000\r\n".utf8) + [UInt8](repeating: 0x20, count: 0x100000) + Array("\r\n".utf8)
            let started = Date()
            for _ in 0..<8 {
                guard try await sent.sendRaw("", body: chunk, timeout: 10) else { break }
            }
            #expect(Date().timeIntervalSince(started) < 10)
            #expect(try await sent.waitClosed(timeout: 5), "the connection stayed open after 8 MiB")
        }
    }

    @Test("slow clients are cut off: a trickled head after the header timeout, a trickled body after the body timeout")
    func slowloris() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 0, extra: ["--http-header-timeout", "1", "--http-body-timeout", "2"])
            var heads: [HTTPTestConnection] = []
            for _ in 0..<50 {
                let connection = try HTTPTestConnection(port: port)
                try await connection.sendRaw("GET /events HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n")
                heads.append(connection)
            }
            let body = try HTTPTestConnection(port: port)
            try await body.sendRaw("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{")
            let started = Date()
            // Keep trickling: one header line and one body byte every 300 ms.
            var closed = Set<Int>()
            var bodyClosed = false
            while Date().timeIntervalSince(started) < 8 && (closed.count < heads.count || !bodyClosed) {
                for (index, connection) in heads.enumerated() where !closed.contains(index) {
                    let sent = try await connection.sendRaw("X-Slow: 1\r\n")
                    let gone = try await connection.waitClosed(timeout: 0.001)
                    if !sent || gone { closed.insert(index) }
                }
                if !bodyClosed {
                    let sent = try await body.sendRaw(" ")
                    let gone = try await body.waitClosed(timeout: 0.001)
                    if !sent || gone { bodyClosed = true }
                }
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(closed.count == heads.count, "\(heads.count - closed.count) trickling heads still open after 8 s")
            #expect(bodyClosed, "a trickling body was still open after 8 s")
            #expect(body.status == 408 || body.status == 0)
        }
    }

    @Test("connections are capped, with a log line, and the next one is served once one closes")
    func connectionCap() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 0, extra: ["--http-max-connections", "4", "--http-header-timeout", "30"])
            var idle: [HTTPTestConnection] = []
            for _ in 0..<4 { idle.append(try HTTPTestConnection(port: port)) }
            try await Task.sleep(for: .milliseconds(300))
            let waiting = try HTTPTestConnection(port: port)
            try await waiting.sendRaw("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
            await #expect(throws: (any Error).self) { try await waiting.readHead(timeout: 1) }
            let log = (try? String(contentsOfFile: spool.root + "/../http-1.log", encoding: .utf8)) ?? ""
            #expect(log.contains("connection limit"), "no log line about the limit: \(log.suffix(500))")
            idle.removeFirst() // closes it
            try await waiting.readHead(timeout: 5)
            #expect(waiting.status == 200)
        }
    }
}
