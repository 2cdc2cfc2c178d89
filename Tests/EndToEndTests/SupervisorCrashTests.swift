import Foundation
import MCP
import Spool
import Testing

/// A job's outcome outlives its supervisor (and its keeper), and a full disk.
@Suite("supervisor crashes and full disks", .timeLimit(.minutes(3)))
struct SupervisorCrashTests {
    /// Starts `command` and returns its id once it runs, with the supervisor's and the command's pids.
    static func startRunning(_ mcp: MCPHarness, _ spool: TestSpool, _ arguments: [String: Value]) async throws -> (JobID, Int32, Int32) {
        let started = try await mcp.call("start", arguments.merging(["priority": "sync"]) { $1 })
        let id = try #require(JobID(started["job"]?.stringValue ?? ""))
        // The keeper notes the pids the moment the command is forked; the running status
        // follows once the job has run for 20 ms, and stays until its end is filed.
        var pids: (supervisor: Int32, command: Int32)?
        _ = await eventually(timeout: 60) {
            if let note = JobRecords(layout: spool.layout).keeperStart(id) {
                pids = (note.supervisorPid, note.pid)
            } else if let status = try? spool.status(id.rawValue), status.state == .running, let supervisor = status.supervisorPid, let pid = status.pid {
                pids = (supervisor, pid)
            }
            return pids != nil
        }
        let running = try #require(pids, "the job was never seen running")
        return (id, running.supervisor, running.command)
    }

    /// The job's status once it is filed in done/: `wait` reports an end from an exit record
    /// already, before a worker has filed it (for a keeper, supervisor or fork server that
    /// wrote exit.json, the worker files it once it has seen them gone).
    static func filed(_ spool: TestSpool, _ id: JobID) async throws -> JobStatus {
        #expect(await eventually(timeout: 20) { FileManager.default.fileExists(atPath: spool.layout.done(id)) },
                "the job's end was not filed")
        return try #require(try spool.status(id.rawValue))
    }

    static func keeperPid(ofCommand pid: Int32) -> Int32? {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("PPid:") }
        return line.flatMap { Int32($0.split(separator: "\t").last ?? "") }
    }

    /// The fork server (`spool-supervisor serve`) of the worker whose pid is `worker`.
    static func forkServer(of worker: Int32) -> Int32? {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name),
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(name)/cmdline"),
                  cmdline.split(separator: 0).last.map({ String(decoding: $0, as: UTF8.self) }) == "serve",
                  keeperPid(ofCommand: pid) == worker else { continue }
            return pid
        }
        return nil
    }

    @Test("kill -9 of the fork server: the running job goes on and is recorded, and the next job gets a new server")
    func forkServerKilled() async throws {
        try await withSpool { spool in
            let worker = try spool.startWorker(id: "w")
            let request = JobRequest(command: spool.blocker("finish") + "; echo forked", priority: .sync)
            try SpoolQueue(layout: spool.layout).submit(request)
            #expect(await eventually(timeout: 15) { (try? spool.status(request.job.rawValue))?.state == .running })
            let server = try #require(Self.forkServer(of: worker.pid))
            kill(server, SIGKILL)
            spool.release("finish")
            #expect(await eventually(timeout: 20) { spool.names(spool.layout.done).count == 1 })
            let first = try #require(spool.names(spool.layout.done).first.flatMap { JobID(fileName: $0) })
            #expect(try spool.status(first.rawValue)?.state == .succeeded)
            #expect(spool.read(spool.layout.job(first, .stdout)) == "forked\n")
            // The next job is forked by a new server.
            try SpoolQueue(layout: spool.layout).submit(JobRequest(command: "echo again", priority: .sync))
            #expect(await eventually(timeout: 20) { spool.names(spool.layout.done).count == 2 })
            let second = try #require(spool.names(spool.layout.done).compactMap { JobID(fileName: $0) }.first { $0 != first })
            #expect(try spool.status(second.rawValue)?.state == .succeeded)
            #expect(spool.read(spool.layout.job(second, .stdout)) == "again\n")
            let replacement = Self.forkServer(of: worker.pid)
            #expect(replacement != nil && replacement != server)
        }
    }

    @Test("kill -9 of the supervisor: the job stays running while its command lives, then its exit code is recorded")
    func supervisorKilled() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let (id, supervisor, _) = try await Self.startRunning(mcp, spool, ["command": .string(spool.blocker("finish") + "; echo went-on; exit 7")])
            kill(supervisor, SIGKILL)
            try await Task.sleep(for: .milliseconds(500))
            let during = try await mcp.call("status", ["job": .string(id.rawValue)])
            #expect(during["state"] == "running", "the job was reported \(String(describing: during["state"])) while its command ran")
            spool.release("finish")
            let final = try await mcp.call("wait", ["jobs": [.string(id.rawValue)], "timeout": 20])
            #expect(final.text.contains("exit code 7"), "\(final.text)")
            let status = try await Self.filed(spool, id)
            #expect(status.state == .failed)
            #expect(status.exitCode == 7)
            #expect(spool.read(spool.layout.job(id, .stdout)) == "went-on\n")
        }
    }

    @Test("kill -9 of the supervisor: the timeout is still enforced")
    func timeoutAfterSupervisorKilled() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            // Time to see it run and kill the supervisor before the timeout, also under load.
            let (id, supervisor, _) = try await Self.startRunning(mcp, spool, ["command": "sleep 60", "timeout": 20])
            kill(supervisor, SIGKILL)
            let result = try await mcp.call("wait", ["jobs": [.string(id.rawValue)], "timeout": 60])
            #expect(result["completed"] == true)
            #expect(try await Self.filed(spool, id).state == .timedOut)
        }
    }

    @Test("kill -9 of the supervisor: cancel still terminates the job")
    func cancelAfterSupervisorKilled() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let (id, supervisor, _) = try await Self.startRunning(mcp, spool, ["command": "sleep 30"])
            kill(supervisor, SIGKILL)
            try await Task.sleep(for: .milliseconds(200))
            let cancel = try await mcp.call("cancel", ["job": .string(id.rawValue)])
            #expect(cancel["outcome"] == "terminated", "\(cancel.text)")
            #expect(cancel["state"] == "cancelled", "\(cancel.text)")
        }
    }

    @Test("kill -9 of the keeper: the supervisor carries on, and the exit code is recorded")
    func keeperKilled() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let (id, _, command) = try await Self.startRunning(mcp, spool, ["command": .string(spool.blocker("go") + "; exit 5")])
            let keeper = try #require(Self.keeperPid(ofCommand: command))
            #expect((try? String(contentsOfFile: "/proc/\(keeper)/comm", encoding: .utf8))?.hasPrefix("spool-keeper") == true)
            kill(keeper, SIGKILL)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try spool.status(id.rawValue)?.state == .running)
            spool.release("go")
            _ = try await mcp.call("wait", ["jobs": [.string(id.rawValue)], "timeout": 20])
            let status = try await Self.filed(spool, id)
            #expect(status.state == .failed)
            #expect(status.exitCode == 5)
        }
    }

    /// Asserts, for as long as the command lives (until `release` ends it), that the job is
    /// reported `running`; samples the report a few times over `seconds`.
    static func staysRunning(_ mcp: MCPHarness, _ id: JobID, seconds: Double) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let status = try await mcp.call("status", ["job": .string(id.rawValue)])
            #expect(status["state"] == "running", "reported \(String(describing: status["state"])) while its command lives: \(status.text)")
            try await Task.sleep(for: .milliseconds(150))
        }
    }

    @Test("kill -9 of the supervisor and the keeper: the fork server inherits the command and records exit code 7")
    func bothKilled() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let (id, supervisor, command) = try await Self.startRunning(mcp, spool, ["command": .string(spool.blocker("go") + "; echo on; exit 7")])
            let keeper = try #require(Self.keeperPid(ofCommand: command))
            kill(supervisor, SIGKILL)
            kill(keeper, SIGKILL)
            try await Self.staysRunning(mcp, id, seconds: 1)
            spool.release("go")
            _ = try await mcp.call("wait", ["jobs": [.string(id.rawValue)], "timeout": 20])
            let status = try await Self.filed(spool, id)
            #expect(status.state == .failed, "\(status)")
            #expect(status.exitCode == 7)
            #expect(spool.read(spool.layout.job(id, .stdout)) == "on\n")
            #expect(spool.read(spool.layout.job(id, .exit))?.contains("\"recordedBy\":\"fork server\"") == true)
        }
    }

    @Test("kill -9 of the supervisor and the keeper: the timeout still fires (the fork server carries it out)")
    func bothKilledTimeout() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            // Time for the kills before the timeout, also under the suite's load.
            let (id, supervisor, command) = try await Self.startRunning(mcp, spool, ["command": "sleep 60", "timeout": 20])
            let keeper = try #require(Self.keeperPid(ofCommand: command))
            kill(supervisor, SIGKILL)
            kill(keeper, SIGKILL)
            let result = try await mcp.call("wait", ["jobs": [.string(id.rawValue)], "timeout": 60])
            #expect(result["completed"] == true, "\(result.text)")
            #expect(try await Self.filed(spool, id).state == .timedOut)
            #expect(await ProcessTable.waitGone(group: command))
        }
    }

    @Test("kill -9 of the supervisor and the keeper after the keeper noted the start, before the worker heard of it: the job runs on, never lost, and its timeout still fires")
    func bothKilledBeforeTheReport() async throws {
        try await withMCP(workers: 0) { spool, mcp in
            // The keeper waits 60 s before it tells the worker the pids: the window, held open
            // (and bounded, so that a failed run leaves no keeper behind for long). The note
            // is there until the timeout (20 s) ends the job: time to see it under load.
            _ = try spool.startWorker(id: "w", environment: ["SPOOL_TEST_SUPERVISOR_REPORT_DELAY_MS": "60000"])
            let started = try await mcp.call("start", ["command": "sleep 60", "timeout": 20, "priority": "sync"])
            let id = try #require(JobID(started["job"]?.stringValue ?? ""))
            let start = try #require(await spool.keeperNote(id, timeout: 15), "the keeper's note of the start never came")
            kill(start.supervisorPid, SIGKILL)
            kill(start.keeperPid, SIGKILL)
            let result = try await mcp.call("wait", ["jobs": [.string(id.rawValue)], "timeout": 30])
            #expect(result["completed"] == true, "\(result.text)")
            let status = try await Self.filed(spool, id)
            #expect(status.state == .timedOut, "\(status)")
            #expect(await ProcessTable.waitGone(group: start.pid))
        }
    }

    @Test("kill -9 of the fork server, the supervisor and the keeper: the worker inherits the command, records exit code 7")
    func forkServerSupervisorKeeperKilled() async throws {
        try await withMCP(workers: 0) { spool, mcp in
            let worker = try spool.startWorker(id: "w")
            let (id, supervisor, command) = try await Self.startRunning(mcp, spool, ["command": .string(spool.blocker("go") + "; exit 7")])
            let keeper = try #require(Self.keeperPid(ofCommand: command))
            let server = try #require(Self.forkServer(of: worker.pid))
            for pid in [server, supervisor, keeper] { kill(pid, SIGKILL) }
            try await Self.staysRunning(mcp, id, seconds: 1)
            #expect(Self.keeperPid(ofCommand: command) == worker.pid, "the command was not reparented to the worker")
            spool.release("go")
            _ = try await mcp.call("wait", ["jobs": [.string(id.rawValue)], "timeout": 20])
            let status = try await Self.filed(spool, id)
            #expect(status.state == .failed, "\(status)")
            #expect(status.exitCode == 7)
            #expect(spool.read(spool.layout.job(id, .exit))?.contains("\"recordedBy\":\"worker\"") == true)
        }
    }

    @Test("kill -9 of the fork server, the supervisor and the keeper: the timeout still fires (the worker carries it out)")
    func forkServerSupervisorKeeperKilledTimeout() async throws {
        try await withMCP(workers: 0) { spool, mcp in
            let worker = try spool.startWorker(id: "w")
            // Time for the kills before the timeout, also under the suite's load.
            let (id, supervisor, command) = try await Self.startRunning(mcp, spool, ["command": "sleep 60", "timeout": 20])
            let keeper = try #require(Self.keeperPid(ofCommand: command))
            let server = try #require(Self.forkServer(of: worker.pid))
            for pid in [server, supervisor, keeper] { kill(pid, SIGKILL) }
            let result = try await mcp.call("wait", ["jobs": [.string(id.rawValue)], "timeout": 60])
            #expect(result["completed"] == true, "\(result.text)")
            #expect(try await Self.filed(spool, id).state == .timedOut)
            #expect(await ProcessTable.waitGone(group: command))
        }
    }

    @Test("kill -9 of the worker, its fork server, the supervisor and the keeper: running while the command lives, then lost with the reason")
    func everyRecorderKilled() async throws {
        try await withMCP(workers: 0) { spool, mcp in
            let worker = try spool.startWorker(id: "w")
            let (id, supervisor, command) = try await Self.startRunning(mcp, spool, ["command": .string(spool.blocker("go") + "; exit 7")])
            let keeper = try #require(Self.keeperPid(ofCommand: command))
            let server = try #require(Self.forkServer(of: worker.pid))
            for pid in [worker.pid, server, supervisor, keeper] { kill(pid, SIGKILL) }
            // Another worker does the dead one's bookkeeping.
            _ = try spool.startWorker(id: "v")
            try await Self.staysRunning(mcp, id, seconds: 3)
            spool.release("go")
            _ = try await mcp.call("wait", ["jobs": [.string(id.rawValue)], "timeout": 20])
            let status = try await Self.filed(spool, id)
            #expect(status.state == .lost, "\(status)")
            #expect(status.reason?.contains("nobody could collect its exit status") == true, "\(status.reason ?? "")")
        }
    }

    @Test("kill -9 of the worker, its fork server, the supervisor and the keeper before the running status was written: the keeper's note of the start keeps it running, never run twice, then lost with the reason")
    func everyRecorderKilledBeforeTheRunningStatus() async throws {
        try await withMCP(workers: 0) { spool, mcp in
            // The window before the running status, held open for the whole test.
            let worker = try spool.startWorker(id: "w", environment: ["SPOOL_RUNNING_STATUS_DELAY_MS": "600000"])
            let started = try await mcp.call("start", ["command": .string("echo once; " + spool.blocker("go") + "; exit 7"), "priority": "sync"])
            let id = try #require(JobID(started["job"]?.stringValue ?? ""))
            var note: KeeperStart?
            #expect(await eventually(timeout: 15) {
                note = JobRecords(layout: spool.layout).keeperStart(id)
                return note != nil && spool.read(spool.layout.job(id, .stdout)) == "once\n"
            })
            let start = try #require(note)
            #expect(!FileSystem.exists(spool.layout.job(id, .status)), "the running status was written inside the window")
            let server = try #require(Self.forkServer(of: worker.pid))
            for pid in [worker.pid, server, start.supervisorPid, start.keeperPid] { kill(pid, SIGKILL) }
            // Another worker does the dead one's bookkeeping: from the note, not a requeue.
            _ = try spool.startWorker(id: "v")
            try await Self.staysRunning(mcp, id, seconds: 3)
            #expect(spool.read(spool.layout.job(id, .stdout)) == "once\n", "the job ran again")
            spool.release("go")
            _ = try await mcp.call("wait", ["jobs": [.string(id.rawValue)], "timeout": 20])
            let status = try await Self.filed(spool, id)
            #expect(status.state == .lost, "\(status)")
            #expect(status.reason?.contains("nobody could collect its exit status") == true, "\(status.reason ?? "")")
            #expect(spool.read(spool.layout.job(id, .stdout)) == "once\n")
        }
    }

    @Test("kill -9 of the keeper, then cancel: the command is terminated at once and the job is cancelled")
    func cancelAfterKeeperKilled() async throws {
        // A long kill grace: a cancel that only the KILL after the grace ended would take
        // 30 s, far from what the suite's load can add to one carried out at once.
        try await withMCP(workers: 1, extra: ["--kill-grace", "30"]) { spool, mcp in
            // A command that never ends by itself: under load, a `sleep` could end first.
            let (id, _, command) = try await Self.startRunning(mcp, spool, ["command": .string(spool.blocker("never"))])
            let keeper = try #require(Self.keeperPid(ofCommand: command))
            kill(keeper, SIGKILL)
            try await Task.sleep(for: .milliseconds(200))
            let started = Date()
            let cancel = try await mcp.call("cancel", ["job": .string(id.rawValue)])
            #expect(Date().timeIntervalSince(started) < 15, "the cancel took \(Date().timeIntervalSince(started)) s")
            #expect(cancel["outcome"] == "terminated", "\(cancel.text)")
            #expect(cancel["state"] == "cancelled", "\(cancel.text)")
            // The answer may come from the exit record a moment before the worker has filed
            // the end into status.json (a loaded machine): the file follows.
            #expect(await eventually(timeout: 15) { (try? spool.status(id.rawValue))?.state == .cancelled })
        }
    }

    @Test("kill -9 of the keeper of a stdin pipe job: input still reaches it, and eof ends it")
    func pipeAfterKeeperKilled() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let (id, _, command) = try await Self.startRunning(mcp, spool, ["command": "cat; echo done", "stdin": "pipe"])
            let keeper = try #require(Self.keeperPid(ofCommand: command))
            kill(keeper, SIGKILL)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try spool.status(id.rawValue)?.state == .running, "the job ended when its keeper died")
            _ = try await mcp.call("send_input", ["job": .string(id.rawValue), "data": "hello\n"])
            _ = try await mcp.call("send_input", ["job": .string(id.rawValue), "eof": true])
            _ = try await mcp.call("wait", ["jobs": [.string(id.rawValue)], "timeout": 20])
            #expect(try await Self.filed(spool, id).state == .succeeded)
            #expect(spool.read(spool.layout.job(id, .stdout)) == "hello\ndone\n")
        }
    }

    @Test("a full disk: the exit record still gets written, and the bookkeeping completes once space is free")
    func fullDisk() async throws {
        let mount = NSTemporaryDirectory() + "spool-full-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mount) }
        let mounted = Process()
        mounted.executableURL = URL(fileURLWithPath: "/bin/mount")
        mounted.arguments = ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mount]
        try? mounted.run()
        mounted.waitUntilExit()
        guard mounted.terminationStatus == 0 else {
            print("skipped: the full-disk test needs to mount a tmpfs (root with CAP_SYS_ADMIN)")
            return
        }
        defer {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
            unmount.arguments = ["-l", mount]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        let spool = try TestSpool(root: mount + "/spool")
        do {
            let mcp = try await MCPHarness(spool: spool, workers: 1)
            let filler = mount + "/filler"
            // 2 MB of output, then the disk is filled to the last block, then exit 7.
            let command = "head -c 2000000 /dev/zero | tr '\\\\0' x; cat /dev/zero > \(filler) 2>/dev/null; exit 7"
            let started = try await mcp.call("start", ["command": .string(command), "priority": "sync"])
            let id = try #require(JobID(started["job"]?.stringValue ?? ""))
            #expect(await eventually(timeout: 20) { FileManager.default.fileExists(atPath: spool.layout.job(id, .exit)) },
                    "exit.json was not written on a full disk")
            let during = try await mcp.call("status", ["job": .string(id.rawValue)])
            #expect(during["exitCode"] == 7, "status on a full disk: \(during.text)")
            #expect(during["state"] == "failed")
            try FileManager.default.removeItem(atPath: filler)
            #expect(await eventually(timeout: 10) { FileManager.default.fileExists(atPath: spool.layout.done(id)) },
                    "the bookkeeping did not complete after space was freed")
            let status = try #require(try spool.status(id.rawValue))
            #expect(status.state == .failed)
            #expect(status.exitCode == 7)
            await mcp.close()
        }
        await spool.cleanup()
    }
}
