import Foundation
import ProcessHarness
import MCP
import Spool
import Testing

@Suite("crash safety and external workers", .timeLimit(.minutes(3)))
struct CrashSafetyTests {
    /// Submits jobs straight into the spool, as any client of the file format may.
    func submit(_ spool: TestSpool, _ commands: [String], priority: Priority = .async) throws -> [JobID] {
        try commands.map { command in
            let request = JobRequest(command: command, priority: priority)
            try SpoolQueue(layout: spool.layout).submit(request)
            return request.job
        }
    }

    func waitForDone(_ spool: TestSpool, count: Int, timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if spool.names(spool.layout.done).count >= count { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test("kill -9 of a worker mid-job loses nothing: the commands finish and are recorded")
    func killWorker() async throws {
        try await withSpool { spool in
            let worker = try spool.startWorker(id: "doomed", slots: 3)
            let ids = try submit(spool, (0..<3).map { "sleep 1; echo finished \($0)" })
            // Wait until all three run, then kill the worker outright.
            let deadline = Date().addingTimeInterval(10)
            while try ids.contains(where: { try spool.status($0.rawValue)?.state != .running }) && Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            worker.signal(SIGKILL)
            await worker.wait(timeout: 5)
            // Its jobs keep running under their supervisors; a new worker finishes the bookkeeping.
            _ = try spool.startWorker(id: "rescuer")
            #expect(await waitForDone(spool, count: 3, timeout: 20))
            for (index, id) in ids.enumerated() {
                let status = try #require(try spool.status(id.rawValue))
                #expect(status.state == .succeeded)
                #expect(status.exitCode == 0)
                #expect(status.worker?.rawValue == "doomed")
                #expect(spool.read(spool.layout.job(id, .stdout)) == "finished \(index)\n")
            }
            // The record goes right after the last job's bookkeeping.
            #expect(await eventually(timeout: 5) { !FileManager.default.fileExists(atPath: spool.layout.workerRecord(WorkerName("doomed")!)) })
        }
    }

    @Test("kill -9 of a worker that spool-mcp supervises: the job completes and run-waiters see it")
    func killSupervisedWorker() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            // Held until the worker is killed, so a slow poll here cannot miss the running state.
            let started = try await mcp.call("start", ["command": .string(spool.blocker("go") + "; echo survived"), "priority": "sync"])
            let id = try #require(started["job"]?.stringValue)
            var workerPid: Int32?
            let deadline = Date().addingTimeInterval(30) // generous: the suite shares two cores
            while workerPid == nil && Date() < deadline {
                if let status = try spool.status(id), status.state == .running,
                   let record = try SpoolJSON.load(WorkerRecord.self, from: spool.layout.workerRecord(status.worker!)) {
                    workerPid = record.pid
                } else {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            kill(try #require(workerPid), SIGKILL)
            spool.release("go")
            let waited = try await mcp.call("wait", ["jobs": [.string(id)], "timeout": 20])
            #expect(waited["completed"] == true)
            // `wait` reports the end from the keeper's exit record at once; the worker that
            // adopted the job files status.json at its next tick.
            #expect(await eventually(timeout: 10) { (try? spool.status(id))?.state.isFinal == true })
            let status = try #require(try spool.status(id))
            #expect(status.state == .succeeded)
            #expect(spool.read(spool.root + "/jobs/\(id)/stdout") == "survived\n")
            // The restarted worker serves new work.
            let after = try await mcp.call("run", ["command": "echo next", "wait": 60]) // a restart under the suite's load
            #expect(after["stdout"] == "next\n")
        }
    }

    @Test("a worker that adopted its previous life's job and then lost spool-mcp (its session keeps it alive) still files that job's end")
    func stoppingWorkerFilesAdopted() async throws {
        try await withSpool { spool in
            let mcp = try await MCPHarness(spool: spool, workers: 1)
            let started = try await mcp.call("start", ["command": .string(spool.blocker("go") + "; exit 4"), "priority": "sync"])
            let id = try #require(JobID(started["job"]?.stringValue ?? ""))
            let running = await eventually(timeout: 20) { (try? spool.status(id.rawValue))?.state == .running }
            #expect(running)
            let worker = try #require(try spool.status(id.rawValue)?.worker)
            let first = try #require(try SpoolJSON.load(WorkerRecord.self, from: spool.layout.workerRecord(worker))).pid
            // Its next life (spool-mcp restarts it under the same name) adopts the job, then
            // takes a session into its only slot.
            kill(first, SIGKILL)
            let restarted = await eventually(timeout: 20) {
                (try? SpoolJSON.load(WorkerRecord.self, from: spool.layout.workerRecord(worker)))?.pid ?? first != first
            }
            #expect(restarted)
            let session = try await mcp.call("session_start", [:])
            #expect(session["session"] != nil, "\(session.text)")
            // spool-mcp goes: the worker stops claiming, but its session keeps it alive.
            kill(mcp.process.pid, SIGKILL)
            spool.release("go")
            let filed = await eventually(timeout: 20) { FileManager.default.fileExists(atPath: spool.layout.done(id)) }
            #expect(filed, "the job's end (exit 4, recorded by its keeper) was never filed")
            #expect(try spool.status(id.rawValue)?.exitCode == 4)
            await spool.cleanup()
        }
    }

    @Test("kill -9 of spool-mcp while its run waits: the request, written without fsync, is kept and runs exactly once")
    func killFrontendDuringRun() async throws {
        try await withSpool { spool in
            let mcp = try spool.startFrontend(workers: 0)
            let input = FileHandle(fileDescriptor: mcp.stdinFD!, closeOnDealloc: false)
            let log = spool.root + "/../ran.log"
            for line in [
                #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
                #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"run","arguments":{"command":"echo $SPOOL_JOB >> \#(log); echo kept","wait":60}}}"#,
            ] { input.write(Data((line + "\n").utf8)) }
            // No worker: the run waits with its request in queue/sync, never flushed (a
            // complete result promises only itself), when spool-mcp dies.
            #expect(await eventually(timeout: 20) { spool.names(spool.layout.queue(.sync)).count == 1 })
            let name = try #require(spool.names(spool.layout.queue(.sync)).first)
            let id = try #require(JobID(fileName: name))
            mcp.signal(SIGKILL)
            await mcp.wait(timeout: 5)
            _ = try spool.startWorker(id: "after")
            #expect(await waitForDone(spool, count: 1, timeout: 20))
            let status = try #require(try spool.status(id.rawValue))
            #expect(status.state == .succeeded)
            #expect(spool.read(spool.layout.job(id, .stdout)) == "kept\n")
            #expect(spool.read(log) == "\(id)\n", "it ran exactly once")
        }
    }

    @Test("--workers 0 with two separately started workers drains a queue, each job exactly once")
    func externalWorkersDrain() async throws {
        try await withMCP(workers: 0) { spool, mcp in
            let log = spool.root + "/../ran.log"
            var ids: [String] = []
            for i in 0..<40 {
                let result = try await mcp.call("start", ["command": .string("echo $SPOOL_JOB >> \(log); echo \(i)")])
                ids.append(try #require(result["job"]?.stringValue))
            }
            let queued = try await mcp.call("status", ["job": .string(ids[39])])
            #expect(queued["state"] == "queued")
            #expect(queued["position"] == 40)
            _ = try spool.startWorker(id: "a", slots: 2)
            _ = try spool.startWorker(id: "b", slots: 2)
            let waited = try await mcp.call("wait", ["jobs": .array(ids.map { .string($0) }), "timeout": 60])
            #expect(waited["completed"] == true)
            let ran = (spool.read(log) ?? "").split(separator: "\n").map(String.init)
            #expect(ran.count == 40)
            #expect(Set(ran) == Set(ids))
            let workers = Set(try ids.map { try spool.status($0)?.worker?.rawValue ?? "?" })
            #expect(workers.isSubset(of: ["a", "b"]))
            #expect(spool.names(spool.layout.queue(.async)).isEmpty)
            #expect(spool.names(spool.layout.done).count == 40)
        }
    }

    @Test("SIGTERM: a worker stops claiming, lets its job finish, and exits cleanly")
    func gracefulWorkerStop() async throws {
        try await withSpool { spool in
            let worker = try spool.startWorker(id: "polite")
            let ids = try submit(spool, ["sleep 0.5; echo done"])
            let deadline = Date().addingTimeInterval(10)
            while try spool.status(ids[0].rawValue) == nil && Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            worker.signal(SIGTERM)
            let status = await worker.wait(timeout: 10)
            #expect(status.map { $0 & 0x7f == 0 && ($0 >> 8) & 0xff == 0 } == true, "exit 0")
            #expect(try spool.status(ids[0].rawValue)?.state == .succeeded)
            #expect(!FileManager.default.fileExists(atPath: spool.layout.workerRecord(WorkerName("polite")!)))
            #expect(!FileManager.default.fileExists(atPath: spool.layout.workerLock(WorkerName("polite")!)))
        }
    }
}
