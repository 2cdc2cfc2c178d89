import Foundation
import MCP
import Spool
import Testing

@Suite("interactive jobs and limits", .timeLimit(.minutes(2)))
struct LimitsTests {
    @Test("send_input drives cat and read through the job's stdin FIFO; eof closes it")
    func sendInput() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let started = try await mcp.call("start", ["command": "read first; echo \"read: $first\"; cat; echo end", "stdin": "pipe"])
            let id = try #require(started["job"]?.stringValue)
            #expect(try await eventually { try spool.status(id)?.state == .running })
            let job = try #require(JobID(id))
            #expect(FileManager.default.fileExists(atPath: spool.layout.job(job, .stdin)))
            let one = try await mcp.call("send_input", ["job": .string(id), "data": "hello\n"])
            #expect(one["bytes"] == 6)
            #expect(try await eventually { spool.read(spool.layout.job(job, .stdout)) == "read: hello\n" })
            _ = try await mcp.call("send_input", ["job": .string(id), "data": "to cat\n"])
            #expect(try await eventually { spool.read(spool.layout.job(job, .stdout)) == "read: hello\nto cat\n" })
            #expect(try spool.status(id)?.state == .running, "cat waits for more until eof")
            let last = try await mcp.call("send_input", ["job": .string(id), "data": "bye\n", "eof": true])
            #expect(last["eof"] == true)
            let done = try await mcp.call("wait", ["jobs": [.string(id)], "timeout": 10])
            #expect(done["completed"] == true)
            #expect(spool.read(spool.layout.job(job, .stdout)) == "read: hello\nto cat\nbye\nend\n")
            let closed = try await mcp.call("send_input", ["job": .string(id), "data": "late\n"])
            #expect(closed.isError == true)
            #expect(closed.text.contains("ended"))
        }
    }

    @Test("send_input refuses jobs without a pipe, and needs data or eof; a one-shot stdin string works")
    func sendInputRefusals() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let plain = try await mcp.call("start", ["command": .string(spool.blocker("go"))])
            let id = try #require(plain["job"]?.stringValue)
            #expect(try await eventually { try spool.status(id)?.state == .running })
            let refused = try await mcp.call("send_input", ["job": .string(id), "data": "x"])
            #expect(refused.isError == true)
            #expect(refused.text.contains("stdin: \"pipe\""))
            let empty = try await mcp.call("send_input", ["job": .string(id)])
            #expect(empty.isError == true)
            let queued = try await mcp.call("start", ["command": "cat", "stdin": "pipe"])
            let early = try await mcp.call("send_input", ["job": queued["job"]!, "data": "x"])
            #expect(early.isError == true)
            #expect(early.text.contains("not started yet"))
            spool.release("go")
            _ = try await mcp.call("cancel", ["job": queued["job"]!])
            let oneShot = try await mcp.call("run", ["command": "tr a-z A-Z", "stdin": "shout\n"])
            #expect(oneShot["stdout"] == "SHOUT\n")
        }
    }

    @Test("--output-limit: the file stops growing, the status says it was truncated and by how much")
    func outputLimit() async throws {
        try await withMCP(workers: 1, extra: ["--output-limit", "1000"]) { spool, mcp in
            let result = try await mcp.call("run", ["command": "head -c 5000 /dev/zero | tr '\\0' x; echo oops >&2"])
            #expect(result["state"] == "succeeded")
            #expect(result["truncated"] == true)
            #expect(result["stdoutDropped"] == 4000)
            #expect(result["stderrDropped"] == 0)
            #expect(result["stdoutBytes"] == 1000)
            #expect(result["stderr"] == "oops\n")
            #expect(result.text.contains("4000 stdout"))
            let text = try #require(result["job"]?.stringValue)
            let id = try #require(JobID(text))
            #expect(FileSystem.size(spool.layout.job(id, .stdout)) == 1000)
            let status = try #require(try JobRecords(layout: spool.layout).status(id))
            #expect(status.truncated == true)
            #expect(status.stdoutDropped == 4000)
        }
    }

    @Test("--retain removes finished jobs older than the limit and never a running one")
    func retention() async throws {
        try await withMCP(workers: 2, extra: ["--retain", "1"]) { spool, mcp in
            let old = try await mcp.call("run", ["command": "echo old"])
            let oldText = try #require(old["job"]?.stringValue)
            let oldID = try #require(JobID(oldText))
            let long = try await mcp.call("start", ["command": .string(spool.blocker("go"))])
            let longID = try #require(long["job"]?.stringValue)
            // Retention renames the done/ file away first, then removes the job's folder.
            #expect(try await eventually(timeout: 10) { !FileSystem.exists(spool.layout.done(oldID)) && !FileSystem.exists(spool.layout.job(oldID)) })
            let gone = try await mcp.call("status", ["job": .string(oldID.rawValue)])
            #expect(gone.isError == true)
            #expect(try spool.status(longID)?.state == .running, "a running job is never removed")
            spool.release("go")
        }
    }

    @Test("throttling holds back async work but never sync; --max-running keeps a slot for sync")
    func throttlingNeverStarvesSync() async throws {
        // Any machine uses more than 0.001 % of its memory: async work is always throttled here.
        try await withMCP(workers: 1, extra: ["--max-memory", "0.001"]) { spool, mcp in
            let background = try await mcp.call("start", ["command": "echo background"])
            let sync = try await mcp.call("run", ["command": "echo urgent", "wait": 10])
            #expect(sync["stdout"] == "urgent\n")
            #expect(try spool.status(background["job"]!.stringValue!) == nil)
            let status = try await mcp.call("status", ["job": background["job"]!])
            #expect(status["state"] == "queued")
        }
        try await withMCP(workers: 3, extra: ["--max-running", "2"]) { spool, mcp in
            var ids: [String] = []
            for index in 0..<3 {
                let started = try await mcp.call("start", ["command": .string(spool.blocker("go") + "; echo \(index)")])
                ids.append(try #require(started["job"]?.stringValue))
            }
            #expect(try await eventually { try ids.filter { try spool.status($0)?.state == .running }.count == 1 })
            try await Task.sleep(for: .milliseconds(300))
            #expect(try ids.filter { try spool.status($0)?.state == .running }.count == 1, "async uses at most max-running − 1 slots")
            let sync = try await mcp.call("run", ["command": "echo urgent", "wait": 10])
            #expect(sync["stdout"] == "urgent\n")
            spool.release("go")
            let done = try await mcp.call("wait", ["jobs": .array(ids.map { .string($0) }), "timeout": 20])
            #expect(done["completed"] == true)
        }
    }
}
