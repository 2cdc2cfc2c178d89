import Foundation
import MCP
import Spool
import Testing

/// A job running as the same user can put a FIFO where spool-mcp reads a file. Opening a
/// FIFO for reading blocks until a writer comes, which froze spool-mcp for good: now every
/// call answers (an error naming the path, where the file was needed), and the next call
/// works. The bound below tells an answer from a hang (a blocked open never returns), under
/// the suite's parallel load, which at its start held one call here for 7 s; it is no speed
/// claim (alone, each call takes milliseconds).
@Suite("FIFOs in the spool", .timeLimit(.minutes(3)))
struct SpoolFIFOTests {
    static func fifo(at path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        #expect(mkfifo(path, 0o600) == 0, "mkfifo \(path): \(errno)")
    }

    /// Calls `tool` and returns its result and how long it took.
    static func timed(_ mcp: MCPHarness, _ tool: String, _ arguments: [String: Value]) async throws -> (CallTool.Result, Double) {
        let started = Date()
        let result = try await mcp.call(tool, arguments)
        return (result, Date().timeIntervalSince(started))
    }

    static let bound = 60.0

    @Test("a FIFO at a job's stdout, its status.json, stats.json and a session's session.json: calls answer at once, the next works")
    func stdioPaths() async throws {
        // Two workers: the open session holds one.
        try await withMCP(workers: 2) { spool, mcp in
            let done = try await mcp.call("run", ["command": "echo kept"])
            let id = try #require(JobID(done["job"]?.stringValue ?? ""))
            let session = try #require(try await mcp.call("session_start", [:])["session"]?.stringValue)
            let sessionID = try #require(SessionID(session))

            try Self.fifo(at: spool.layout.job(id, .stdout))
            let (output, outputTime) = try await Self.timed(mcp, "output", ["job": .string(id.rawValue)])
            #expect(outputTime < Self.bound, "output took \(outputTime) s")
            #expect(output.isError == true, "output: \(output.text)")
            #expect(output.text.contains("not a regular file"), "\(output.text)")

            try Self.fifo(at: spool.layout.job(id, .status))
            let (status, statusTime) = try await Self.timed(mcp, "status", ["job": .string(id.rawValue)])
            #expect(statusTime < Self.bound, "status took \(statusTime) s")
            #expect(status.isError == true, "status: \(status.text)")

            try Self.fifo(at: spool.layout.stats)
            let (started, startTime) = try await Self.timed(mcp, "start", ["command": "echo after"])
            #expect(startTime < Self.bound, "start with a FIFO at stats.json took \(startTime) s: \(started.text)")

            try Self.fifo(at: spool.layout.session(sessionID, .record))
            let (sessions, sessionsTime) = try await Self.timed(mcp, "session_list", [:])
            #expect(sessionsTime < Self.bound, "session_list took \(sessionsTime) s: \(sessions.text)")

            let next = try await mcp.call("run", ["command": "echo still-served"])
            #expect(next["stdout"] == "still-served\n", "\(next.text)")
        }
    }

    @Test("a FIFO at tasks/<id>.json: tasks/get answers an error at once, twice, and the server still serves")
    func taskFile() async throws {
        try await withSpool { spool in
            let peer = StdioPeer(try spool.startFrontend(workers: 1))
            let id = String(repeating: "f", count: 32)
            try FileManager.default.createDirectory(atPath: spool.layout.root + "/tasks", withIntermediateDirectories: true)
            try Self.fifo(at: spool.layout.root + "/tasks/\(id).json")
            // The server's start-up is not what is timed: it answers once before.
            _ = try #require(result(try await peer.request(9, "server/discover", modernParams())))
            for n in 1...2 {
                let started = Date()
                let answer = try await peer.request(n, "tasks/get", modernParams(["taskId": id], tasks: true))
                #expect(Date().timeIntervalSince(started) < Self.bound)
                #expect(errorCode(answer) != nil, "\(String(describing: answer))")
            }
            let run = try #require(result(try await peer.request(3, "tools/call", modernParams(["name": "run", "arguments": ["command": "echo served"]]))))
            #expect((run["structuredContent"] as? [String: Any])?["stdout"] as? String == "served\n")
            await spool.cleanup()
        }
    }
}
