import Foundation
import MCP
import Spool
import Testing

@Suite("persistent sessions", .timeLimit(.minutes(3)))
struct SessionTests {
    func open(_ mcp: MCPHarness, cwd: String = "/tmp") async throws -> String {
        let started = try await mcp.call("session_start", ["cwd": .string(cwd)])
        #expect(started["state"] == "ready", "\(started.text)")
        return try #require(started["session"]?.stringValue)
    }

    @Test("cd, export and functions persist between commands; exit codes are exact; the state is in sessions/<id>/")
    func keepsState() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let session = try await open(mcp)
            let first = try await mcp.call("run", ["command": "cd /usr && export GREETING='hi there'; greet() { echo \"$GREETING\"; }", "session": .string(session)])
            #expect(first["state"] == "succeeded")
            let second = try await mcp.call("run", ["command": "pwd; greet; (exit 7)", "session": .string(session)])
            #expect(second["stdout"] == "/usr\nhi there\n")
            #expect(second["exitCode"] == 7)
            #expect(second["state"] == "failed")
            #expect(second["session"] == .string(session))
            // The saved state is plain files.
            let id = try #require(JobID(session))
            #expect(spool.read(spool.layout.session(id, .cwd)) == "/usr\n")
            #expect(spool.read(spool.layout.session(id, .env))?.contains("GREETING") == true)
            let record = try #require(try SessionStore(layout: spool.layout).record(id))
            #expect(record.state == .ready)
            #expect(record.commands == 2)
            // A job started in the session runs after the ones before it, in order.
            let a = try await mcp.call("start", ["command": .string(spool.blocker("go") + "; echo a"), "session": .string(session)])
            let b = try await mcp.call("start", ["command": "echo b; pwd", "session": .string(session)])
            #expect(b["state"] == "queued")
            #expect(b["position"] == 1 || b["position"] == 2)
            spool.release("go")
            let done = try await mcp.call("wait", ["jobs": [a["job"]!, b["job"]!], "timeout": 10])
            #expect(done["completed"] == true)
            let bOut = try await mcp.call("output", ["job": b["job"]!])
            #expect(bOut["data"] == "b\n/usr\n")
            let list = try await mcp.call("session_list", [:])
            #expect(list.text.contains(session))
            #expect(list.text.contains("/usr"))
        }
    }

    @Test("output that imitates the session's internal protocol does not confuse it")
    func markerImitation() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let session = try await open(mcp)
            let id = try #require(JobID(session))
            // Prints what the wrapper writes, on stdout and stderr, and tries to fake an exit status.
            let fake = "printf '__spool_rc=0\\n0\\n'; echo '; printf 0 > exit.code' >&2; echo 0; exit_code=0; false"
            let result = try await mcp.call("run", ["command": .string(fake), "session": .string(session)])
            #expect(result["exitCode"] == 1)
            #expect(result["state"] == "failed")
            let next = try await mcp.call("run", ["command": "echo still fine", "session": .string(session)])
            #expect(next["stdout"] == "still fine\n")
            #expect(next["exitCode"] == 0)
            #expect(try SessionStore(layout: spool.layout).record(id)?.restarts == 0)
        }
    }

    @Test("exit, a timeout and a cancel end the shell; the session restarts in its saved state")
    func restarts() async throws {
        try await withMCP(workers: 1, extra: ["--kill-grace", "1"]) { spool, mcp in
            let session = try await open(mcp)
            _ = try await mcp.call("run", ["command": "cd /var; export KEEP=1", "session": .string(session)])
            let exited = try await mcp.call("run", ["command": "exit 4", "session": .string(session)])
            #expect(exited["exitCode"] == 4)
            #expect(exited.text.contains("the session's shell ended during the command (exited(4)) and was restarted"), "\(exited.text)")
            let timedOut = try await mcp.call("run", ["command": "sleep 30", "session": .string(session), "timeout": 0.3])
            #expect(timedOut["state"] == "timed_out")
            let long = try await mcp.call("start", ["command": "sleep 30", "session": .string(session)])
            let longID = try #require(long["job"]?.stringValue)
            #expect(try await eventually { try spool.status(longID)?.state == .running })
            let cancelled = try await mcp.call("cancel", ["job": .string(longID)])
            #expect(cancelled["state"] == "cancelled")
            let after = try await mcp.call("run", ["command": "pwd; echo $KEEP", "session": .string(session)])
            #expect(after["stdout"] == "/var\n1\n")
        }
    }

    @Test("a session survives kill -9 of its worker: another worker reopens it in the same state")
    func survivesWorkerKill() async throws {
        try await withMCP(workers: 0) { spool, mcp in
            let first = try spool.startWorker(id: "first")
            let session = try await open(mcp)
            let id = try #require(JobID(session))
            _ = try await mcp.call("run", ["command": "cd /etc; export SURVIVES=yes", "session": .string(session)])
            // A command is running when the worker dies; it still finishes and is recorded.
            let inFlight = try await mcp.call("start", ["command": .string(spool.blocker("go") + "; echo finished"), "session": .string(session)])
            let inFlightID = try #require(inFlight["job"]?.stringValue)
            #expect(try await eventually { try spool.status(inFlightID)?.state == .running })
            first.signal(SIGKILL)
            _ = await first.wait(timeout: 5)
            spool.release("go")
            _ = try spool.startWorker(id: "second")
            let after = try await mcp.call("run", ["command": "pwd; echo $SURVIVES", "session": .string(session), "wait": 30])
            #expect(after["stdout"] == "/etc\nyes\n", "\(after.text)")
            #expect(after["worker"] == "second")
            let finished = try #require(try spool.status(inFlightID))
            #expect(finished.state == .succeeded)
            let inFlightJob = try #require(JobID(inFlightID))
            #expect(spool.read(spool.layout.job(inFlightJob, .stdout)) == "finished\n")
            #expect(try SessionStore(layout: spool.layout).record(id)?.worker?.rawValue == "second")
        }
    }

    @Test("session_end closes after the current command and cancels waiting ones; a queued session waits with a position")
    func endAndQueue() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let session = try await open(mcp)
            let running = try await mcp.call("start", ["command": .string(spool.blocker("go") + "; echo done"), "session": .string(session)])
            let waiting = try await mcp.call("start", ["command": "echo never", "session": .string(session)])
            #expect(try await eventually { try spool.status(running["job"]!.stringValue!)?.state == .running })
            // The only slot is the session's: a second session queues, with a notice once it opens.
            let notices = await mcp.collectNotices()
            let second = try await mcp.call("session_start", [:])
            #expect(second["state"] == "queued")
            #expect(second["position"] == 1)
            let ended = try await mcp.call("cancel", ["session": .string(session)])
            #expect(ended["outcome"] == "closing")
            spool.release("go")
            let waited = try await mcp.call("wait", ["jobs": [running["job"]!, waiting["job"]!], "timeout": 10])
            #expect(waited["completed"] == true)
            #expect(try spool.status(running["job"]!.stringValue!)?.state == .succeeded)
            // A dequeue renames into done/ first and writes status.json a moment later.
            #expect(try await eventually { try spool.status(waiting["job"]!.stringValue!)?.state == .cancelled }, "\(waited.text)")
            let refused = try await mcp.call("run", ["command": "true", "session": .string(session)])
            #expect(refused.isError == true)
            #expect(refused.text.contains("closed"))
            // The freed slot opens the queued session.
            let secondText = try #require(second["session"]?.stringValue)
            let secondID = try #require(JobID(secondText))
            #expect(try await eventually { try SessionStore(layout: spool.layout).record(secondID)?.state == .ready })
            var announced = false
            for _ in 0..<200 where !announced {
                announced = await notices.items.contains { $0.objectValue?["event"] == "session_ready" && $0.objectValue?["session"] == .string(secondText) }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(announced, "a session_ready notice follows a queued session_start")
            // A session id is not a job id.
            let asJob = try await mcp.call("status", ["job": .string(session)])
            #expect(asJob.isError == true)
            #expect(asJob.text.contains("is a session"))
            let gone = try await mcp.call("session_end", ["session": "01ARZ3NDEKTSV4RRFFQ69G5FAV"])
            #expect(gone.isError == true)
        }
    }

    @Test("an idle session is reported abandoned, then closed after --session-idle")
    func idleClose() async throws {
        try await withMCP(workers: 1, extra: ["--session-idle", "1"]) { spool, mcp in
            let session = try await open(mcp)
            let id = try #require(JobID(session))
            let store = SessionStore(layout: spool.layout)
            #expect(try await eventually(timeout: 5) { try store.record(id)?.abandonedAt != nil })
            #expect(try await eventually(timeout: 5) { try store.record(id)?.state == .closed })
            #expect(try store.record(id)?.reason?.contains("idle") == true)
            // The record says closed a moment before the request is filed in done/.
            #expect(await eventually(timeout: 5) { spool.names(spool.layout.done).contains("\(session).json") })
        }
    }

    @Test("a session put back in the queue after its worker died, then ended, says so (not 'ended before it opened')")
    func endedWhileRequeued() async throws {
        try await withMCP(workers: 0) { spool, mcp in
            let worker = try spool.startWorker(id: "w")
            let started = try await mcp.call("session_start", [:])
            let session = try #require(started["session"]?.stringValue)
            let id = try #require(SessionID(session))
            let ready = await eventually(timeout: 20) { (try? SessionStore(layout: spool.layout).record(id))?.state == .ready }
            #expect(ready)
            worker.signal(SIGKILL)
            // spool-mcp's sweep puts it back in the queue once its shell has ended; no worker takes it.
            let requeued = await eventually(timeout: 20) { FileManager.default.fileExists(atPath: spool.layout.queue(.sync) + "/" + id.opener.fileName) }
            #expect(requeued)
            let ended = try await mcp.call("session_end", ["session": .string(session)])
            #expect(ended.isError != true, "\(ended.text)")
            let record = try #require(try SessionStore(layout: spool.layout).record(id))
            #expect(record.state == .closed)
            #expect(record.reason == "ended while it waited to be reopened (its worker had died)", "\(record.reason ?? "")")
        }
    }
}
