import Foundation
import MCP
import Spool
import Testing

/// run / start / status / output / tail / wait / list through a real spool-mcp with its
/// own workers, checked against the files in the spool.
@Suite("Tools over stdio", .timeLimit(.minutes(2)))
struct RunToolTests {
    @Test("run returns exit code and output, and the spool holds the same")
    func runSucceeds() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            do {
                let result = try await mcp.call("run", ["command": "echo hello; echo oops >&2"])
                #expect(result.isError != true)
                #expect(result["state"] == "succeeded")
                #expect(result["exitCode"] == 0)
                #expect(result["stdout"] == "hello\n")
                #expect(result["stderr"] == "oops\n")
                let id = try #require(result["job"]?.stringValue)
                // Plain file reads: the spool is the record.
                #expect(spool.read(spool.root + "/jobs/\(id)/stdout") == "hello\n")
                #expect(spool.names(spool.root + "/done") == ["\(id).json"])
                let status = try #require(try spool.status(id))
                #expect(status.state == .succeeded)
                #expect(status.exitCode == 0)
                #expect(status.priority == .sync)
                #expect(status.pid != nil && status.startedAt != nil && status.finishedAt != nil)
                let request = try #require(spool.read(spool.root + "/jobs/\(id)/request.json"))
                #expect(request.contains("echo hello"))
                // Its answer was the outcome: that is all it promised (no flush of the end).
                #expect(request.contains(#""promise":"reply""#))
                #expect(!FileSystem.exists(spool.root + "/jobs/\(id)/promised"))
            }
        }
    }

    @Test("a failing command is a result with isError, its exit code and stderr")
    func runFails() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let result = try await mcp.call("run", ["command": "echo bad >&2; exit 7", "env": ["X": "1"]])
            #expect(result.isError == true)
            #expect(result["state"] == "failed")
            #expect(result["exitCode"] == 7)
            #expect(result["stderr"] == "bad\n")
            let signalled = try await mcp.call("run", ["command": "kill -9 $$"])
            #expect(signalled["state"] == "failed")
            #expect(signalled["signal"] == 9)
            #expect(signalled.isError == true)
        }
    }

    @Test("cwd, env, stdin and shell reach the command")
    func runOptions() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let result = try await mcp.call("run", [
                "command": "pwd; echo $GREETING; cat; echo $SPOOL_JOB",
                "cwd": "/tmp", "env": ["GREETING": "hi there"], "stdin": "from stdin\n", "shell": "/bin/bash",
            ])
            let id = try #require(result["job"]?.stringValue)
            #expect(result["stdout"]?.stringValue == "/tmp\nhi there\nfrom stdin\n\(id)\n")
        }
    }

    @Test("run gives up waiting after `wait` s, the job keeps running; status, output, tail and wait follow it")
    func runReturnsEarly() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let result = try await mcp.call("run", ["command": .string("echo first; \(spool.blocker("go")); printf 'a\\nb\\nc\\n'"), "wait": 2])
            #expect(result["state"] == "running")
            #expect(result.isError != true)
            #expect(result["stdout"] == "first\n")
            let id = try #require(result["job"]?.stringValue)
            // The id was handed out: the outcome is now promised, so its end is flushed.
            #expect(FileSystem.exists(spool.root + "/jobs/\(id)/promised"))
            let status = try await mcp.call("status", ["job": .string(id)])
            #expect(status["state"] == "running")
            spool.release("go")
            let waited = try await mcp.call("wait", ["jobs": [.string(id)], "timeout": 20])
            #expect(waited["completed"] == true)
            let output = try await mcp.call("output", ["job": .string(id), "offset": 6, "limit": 4])
            #expect(output["data"] == "a\nb\n")
            #expect(output["nextOffset"] == 10)
            #expect(output["eof"] == false)
            let rest = try await mcp.call("output", ["job": .string(id), "offset": 10])
            #expect(rest["data"] == "c\n")
            #expect(rest["eof"] == true)
            let tail = try await mcp.call("tail", ["job": .string(id), "lines": 2])
            #expect(tail["data"] == "b\nc\n")
            #expect(tail["stdout"] == "b\nc\n")
        }
    }

    @Test("start queues in the background; wait with any and with a timeout; list filters by state")
    func startAndWait() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            // Held until released, so a busy machine cannot let it end before the short wait.
            let slow = try await mcp.call("start", ["command": .string(spool.blocker("slow"))])
            #expect(slow["priority"] == "async")
            let slowID = try #require(slow["job"]?.stringValue)
            let fast = try await mcp.call("start", ["command": "true", "priority": "sync"])
            let fastID = try #require(fast["job"]?.stringValue)
            // Timeout is not an error: every job's state is listed.
            let short = try await mcp.call("wait", ["jobs": [.string(slowID)], "timeout": 0.2])
            #expect(short.isError != true)
            #expect(short["timedOut"] == true, "\(short.text)")
            spool.release("slow") // one worker slot: the fast job runs after the slow one
            let any = try await mcp.call("wait", ["jobs": [.string(slowID), .string(fastID)], "timeout": 20, "any": true])
            #expect(any["completed"] == true)
            let all = try await mcp.call("wait", ["jobs": [.string(slowID), .string(fastID)], "timeout": 20])
            #expect(all["completed"] == true)
            let list = try await mcp.call("list", ["state": "succeeded"])
            guard case .array(let jobs)? = list["jobs"] else { Issue.record("no jobs array"); return }
            #expect(jobs.count == 2)
            // Newest first.
            if case .object(let first)? = jobs.first { #expect(first["job"]?.stringValue == fastID) }
        }
    }

    @Test("output: bytes that are not UTF-8 come as dataBase64; a UTF-8 character is never split")
    func binaryOutput() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let result = try await mcp.call("run", ["command": "printf '\\377\\376'; printf 'h\\303\\251llo'"])
            let id = try #require(result["job"]?.stringValue)
            #expect(result["stdoutBytes"] == 8)
            let raw = try await mcp.call("output", ["job": .string(id)])
            #expect(raw["data"] == nil)
            #expect(raw["dataBase64"]?.stringValue.flatMap { Data(base64Encoded: $0) } == Data([0xFF, 0xFE, 0x68, 0xC3, 0xA9, 0x6C, 0x6C, 0x6F]))
            // Bytes 2..<4 end inside "é": the half character is held back for the next call.
            let first = try await mcp.call("output", ["job": .string(id), "offset": 2, "limit": 2])
            #expect(first["data"] == "h")
            #expect(first["nextOffset"] == 3)
            let rest = try await mcp.call("output", ["job": .string(id), "offset": 3])
            #expect(rest["data"] == "éllo")
            #expect(rest["eof"] == true)
        }
    }

    @Test("with a progress token, a running run reports notifications/progress as output grows")
    func progress() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let (result, progress) = try await mcp.callWithProgress(
                "run", ["command": "for i in 1 2 3 4 5 6; do echo line $i; sleep 0.25; done"])
            #expect(result["state"] == "succeeded")
            #expect(progress.count >= 2, "got \(progress.count) notifications")
            #expect(progress.allSatisfy { $0.progressToken == .string("p1") })
            #expect(progress.map(\.progress) == progress.map(\.progress).sorted(), "progress only grows")
            #expect(progress.last?.message?.contains("line") == true)
        }
    }

    @Test("timeout kills the whole process group and reports timed_out")
    func timeout() async throws {
        try await withMCP(workers: 1, extra: ["--kill-grace", "1"]) { spool, mcp in
            let result = try await mcp.call("run", ["command": "sleep 30 & sleep 30; echo never", "timeout": 0.5, "wait": 20])
            #expect(result["state"] == "timed_out")
            #expect(result.isError == true)
            #expect(result["stdout"] == "")
            let id = try #require(result["job"]?.stringValue)
            let pid = try #require(try spool.status(id)?.pid)
            #expect(await ProcessTable.waitGone(group: pid), "the job's process group is gone")
        }
    }
}
