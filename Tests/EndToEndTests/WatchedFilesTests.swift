import Foundation
import MCP
import Spool
import Testing

/// Files under `--watch` roots: `file_tail`, `file_read`, `spool://files/` resources and
/// `/events?path=`, on real files that are appended to, rotated and truncated.
@Suite("Watched files", .serialized, .timeLimit(.minutes(3)))
struct WatchedFilesTests {
    /// A folder of logs next to the test's spool.
    static func logs(_ spool: TestSpool) throws -> String {
        let folder = URL(fileURLWithPath: spool.root + "/../logs").standardized.resolvingSymlinksInPath().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Runs `body` with spool-mcp watching a fresh logs folder, after `prepare` has put
    /// what the test needs into it; everything is stopped and removed afterwards.
    static func withWatched(prepare: (String) throws -> Void, _ body: (String, MCPHarness) async throws -> Void) async throws {
        try await withSpool { spool in
            let logs = try Self.logs(spool)
            try prepare(logs)
            let mcp = try await MCPHarness(spool: spool, workers: 0, extra: ["--watch", logs])
            defer { Task { await mcp.close() } }
            try await body(logs, mcp)
        }
    }

    static func append(_ path: String, _ text: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try handle.close()
    }

    @Test("file_tail and file_read follow a log across a rotation and a truncation")
    func tailAndRead() async throws {
        try await Self.withWatched(prepare: { logs in
            try Data((1...100).map { "line \($0)\n" }.joined().utf8).write(to: URL(fileURLWithPath: logs + "/app.log"))
        }) { logs, mcp in
            let log = logs + "/app.log"
            let tail = try await mcp.call("file_tail", ["path": .string(log), "lines": 2])
            #expect(tail.isError != true)
            #expect(tail["data"] == .string("line 99\nline 100\n"))
            let first = try await mcp.call("file_read", ["path": "app.log", "limit": 8])
            #expect(first["data"] == .string("line 1\nl"))
            #expect(first["nextOffset"] == .int(8))
            #expect(first["eof"] == .bool(false))
            let rest = try await mcp.call("file_read", ["path": "app.log", "offset": 8, "limit": 1048576])
            #expect(rest["eof"] == .bool(true))
            #expect(rest["nextOffset"] == rest["size"])

            // Rotation: the name is a new file; reading by name reads the new one.
            try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
            try Data("fresh\n".utf8).write(to: URL(fileURLWithPath: log))
            #expect(try await mcp.call("file_tail", ["path": .string(log)])["data"] == .string("fresh\n"))
            #expect(try await mcp.call("file_tail", ["path": .string(log + ".1"), "lines": 1])["data"] == .string("line 100\n"))
            // Truncation, then bytes that are not UTF-8.
            try Data([0x66, 0xff, 0x0a]).write(to: URL(fileURLWithPath: log))
            let binary = try await mcp.call("file_read", ["path": .string(log)])
            #expect(binary["data"] == nil)
            #expect(binary["dataBase64"] == .string(Data([0x66, 0xff, 0x0a]).base64EncodedString()))
            let gone = try await mcp.call("file_read", ["path": .string(logs + "/missing.log")])
            #expect(gone.isError == true)
            #expect(gone.text.contains("does not exist"))
        }
    }

    @Test("escapes are tool errors: .., a symlink out, /proc/self/root, a FIFO")
    func escapes() async throws {
        try await Self.withWatched(prepare: { logs in
            try FileManager.default.createSymbolicLink(atPath: logs + "/passwd", withDestinationPath: "/etc/passwd")
            try FileManager.default.createSymbolicLink(atPath: logs + "/root", withDestinationPath: "/proc/self/root")
            #expect(mkfifo(logs + "/fifo", 0o600) == 0)
        }) { logs, mcp in
            for path in ["../spool/stats.json", logs + "/../spool/events/journal", logs + "/passwd", logs + "/root/etc/passwd",
                         "/proc/self/root/etc/passwd", "/etc/passwd"] {
                for tool in ["file_tail", "file_read"] {
                    let result = try await mcp.call(tool, ["path": .string(path)])
                    #expect(result.isError == true, "\(tool) \(path)")
                    #expect(result.text.contains("outside the watched folders"), "\(tool) \(path): \(result.text)")
                }
            }
            let fifo = try await mcp.call("file_read", ["path": .string(logs + "/fifo")])
            #expect(fifo.isError == true)
            #expect(fifo.text.contains("is a FIFO, not a regular file"))
            let resource = try? await mcp.client.readResource(uri: "spool://files/etc/passwd")
            #expect(resource == nil, "a resource outside the roots must not be readable")
        }
    }

    @Test("without --watch the file tools are not listed, and calling one says how to turn it on")
    func noRoots() async throws {
        try await withMCP(workers: 0) { _, mcp in
            let (tools, _) = try await mcp.client.listTools()
            #expect(!tools.contains { $0.name.hasPrefix("file_") || $0.name.hasPrefix("backup_") })
            let result = try await mcp.call("file_tail", ["path": "/etc/passwd"])
            #expect(result.isError == true)
            #expect(result.text.contains("--watch"))
        }
    }

    @Test("a subscribed spool://files resource gets resources/updated when the file grows")
    func subscription() async throws {
        try await Self.withWatched(prepare: { logs in
            try Data("one\n".utf8).write(to: URL(fileURLWithPath: logs + "/app.log"))
        }) { logs, mcp in
            let log = logs + "/app.log"
            let uri = "spool://files" + log
            let updates = NoticeLog()
            _ = await mcp.client.onNotification(ResourceUpdatedNotification.self) { message in
                await updates.append(.string(message.params.uri))
            }
            let (resources, _) = try await mcp.client.listResources()
            #expect(resources.contains { $0.uri == uri })
            let contents = try await mcp.client.readResource(uri: uri)
            #expect(contents.first?.text == "one\n")
            #expect(try await mcp.client.readResource(uri: "spool://files/app.log").first?.text == "one\n", "relative to the first root")
            try await mcp.client.subscribeToResource(uri: uri)
            try Self.append(log, "two\n")
            let deadline = Date().addingTimeInterval(10)
            while await !updates.items.contains(.string(uri)), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(await updates.items.contains(.string(uri)))
        }
    }

    /// Reads `/events` until `until` holds for the events so far.
    static func read(_ events: HTTPTestConnection, timeout: Double = 20, until: ([HTTPTestConnection.Event]) -> Bool) async throws -> [HTTPTestConnection.Event] {
        var seen: [HTTPTestConnection.Event] = []
        let deadline = Date().addingTimeInterval(timeout)
        while !until(seen), Date() < deadline, let event = try await events.nextEvent(timeout: deadline.timeIntervalSinceNow) {
            seen.append(event)
        }
        return seen
    }

    static func text(_ events: [HTTPTestConnection.Event]) -> String {
        events.map { event in
            switch event.event {
            case "file": (event.json?["data"] as? String) ?? ""
            case "rotated": "|rotated|"
            case "truncated": "|truncated|"
            default: ""
            }
        }.joined()
    }

    @Test("/events?path= follows a log across a rotation and a truncation, byte for byte, and resumes with Last-Event-ID")
    func followAndResume() async throws {
        try await withSpool { spool in
            let logs = try Self.logs(spool)
            let log = logs + "/app.log"
            try Data("before\n".utf8).write(to: URL(fileURLWithPath: log))
            let (_, port) = try await spool.startHTTP(workers: 0, extra: ["--watch", logs])
            let events = try HTTPTestConnection(port: port)
            let query = log.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            try events.send(method: "GET", path: "/events?path=\(query)")
            // The stream is open once its comment line arrived; following starts at the end.
            try await events.waitForBody(containing: ": spool events")
            #expect(events.status == 200)
            try Self.append(log, "a1\n")
            _ = try await Self.read(events) { Self.text($0).contains("a1\n") }
            // The old file gets its last line just before it is renamed away.
            try Self.append(log, "a2\n")
            try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
            try Data("b1\n".utf8).write(to: URL(fileURLWithPath: log))
            try await Task.sleep(for: .milliseconds(300))
            try Data().write(to: URL(fileURLWithPath: log)) // truncate
            try await Task.sleep(for: .milliseconds(100))
            try Self.append(log, "c1\n")
            let seen = try await Self.read(events) { Self.text($0).contains("c1\n") }
            #expect(Self.text(seen) == "a2\n|rotated|b1\n|truncated|c1\n")
            // Offsets count within each file: "before\na1\n" came first, then each new file starts at 0.
            #expect(seen.filter { $0.event == "file" }.map { $0.json?["offset"] as? Int } == [10, 0, 0])
            #expect(seen.allSatisfy { $0.json?["path"] as? String == log })
            #expect(seen.first { $0.event == "rotated" }?.json?["previousOffset"] as? Int == 13)
            let lastID = try #require(seen.last?.id)
            // Written while no client is connected: a resume gets it, and nothing twice.
            try Self.append(log, "c2\n")
            try await Task.sleep(for: .milliseconds(300))
            let resumed = try HTTPTestConnection(port: port)
            try resumed.send(method: "GET", path: "/events?path=\(query)", headers: ["Last-Event-ID": lastID])
            let again = try await Self.read(resumed) { Self.text($0).contains("c2\n") }
            #expect(Self.text(again) == "c2\n")
            // Outside the roots is refused before any stream starts.
            let outside = try await httpRequest(port: port, "GET", "/events?path=%2Fetc%2Fpasswd")
            #expect(outside.status == 403)
            #expect(outside.body.contains("outside the watched folders"))
        }
    }

    @Test("after spool-mcp is killed and started again, a followed file goes on where the journal stopped")
    func resumeAcrossRestart() async throws {
        try await withSpool { spool in
            let logs = try Self.logs(spool)
            let nested = logs + "/nested"
            try FileManager.default.createDirectory(atPath: nested, withIntermediateDirectories: true)
            let log = nested + "/app.log"
            try Data("start\n".utf8).write(to: URL(fileURLWithPath: log))
            let query = log.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let (first, port) = try await spool.startHTTP(workers: 0, extra: ["--watch", logs])
            let events = try HTTPTestConnection(port: port)
            try events.send(method: "GET", path: "/events?path=\(query)")
            try await events.waitForBody(containing: ": spool events") // the stream has begun
            try Self.append(log, "a1\n")
            let seen = try await Self.read(events) { Self.text($0).contains("a1\n") }
            let lastID = try #require(seen.last?.id)
            await first.killGroup()
            // Written while no spool-mcp runs; the next one finds it through the journal.
            try Self.append(log, "b1\n")
            let (_, again) = try await spool.startHTTP(workers: 0, extra: ["--watch", logs])
            let resumed = try HTTPTestConnection(port: again)
            try resumed.send(method: "GET", path: "/events", headers: ["Last-Event-ID": lastID])
            let after = try await Self.read(resumed) { Self.text($0).contains("b1\n") }
            #expect(Self.text(after) == "b1\n")
            #expect(after.first { $0.event == "file" }?.json?["offset"] as? Int == 9)
        }
    }
}
