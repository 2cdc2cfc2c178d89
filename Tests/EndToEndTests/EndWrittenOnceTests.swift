import Foundation
import MCP
import Spool
import Testing

/// A job's end is written once (issue 28, "one writer for each fact"): its keeper hands the
/// record to the worker, which writes it as the final `status.json`. `exit.json` is
/// written only when no worker takes the record over.
@Suite("the end written once", .timeLimit(.minutes(3)))
struct EndWrittenOnceTests {
    @Test("a job's end is written once, as its final status.json, with no exit.json beside it",
          arguments: [
              ("echo once; exit 3", Int32(3), "once\n"),
              // Over 20 ms: its running status is written first, and then replaced.
              ("sleep 0.2; echo later; exit 4", Int32(4), "later\n"),
          ])
    func writtenOnce(command: String, code: Int32, output: String) async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let result = try await mcp.call("run", ["command": .string(command)])
            let id = try #require(JobID(result["job"]?.stringValue ?? ""))
            #expect(result["exitCode"] == .int(Int(code)), "\(result.text)")
            let status = try #require(try spool.status(id.rawValue))
            #expect(status.state == .failed)
            #expect(status.exitCode == code)
            #expect(spool.read(spool.layout.job(id, .stdout)) == output)
            #expect(FileManager.default.fileExists(atPath: spool.layout.done(id)))
            #expect(!FileManager.default.fileExists(atPath: spool.layout.job(id, .exit)),
                    "the keeper wrote exit.json although the worker took its record over")
        }
    }

    @Test("kill -9 of the worker while the keeper hands its record over: the keeper writes exit.json, and the next worker files exit code 7")
    func workerKilledAtHandOff() async throws {
        try await withMCP(workers: 0) { spool, mcp in
            // The keeper holds its record back until its worker hangs up (120 s at most): the
            // window, in which the command has ended and waits, unreaped, for its keeper, and
            // the keeper's note of the start stays (long enough to be seen under any load).
            let worker = try spool.startWorker(id: "w", environment: ["SPOOL_TEST_SUPERVISOR_HANDOFF_DELAY_MS": "120000"])
            let started = try await mcp.call("start", ["command": "echo handed; exit 7", "priority": "sync"])
            let id = try #require(JobID(started["job"]?.stringValue ?? ""))
            let start = try #require(await spool.keeperNote(id, timeout: 60), "the keeper's note of the start never came")
            #expect(await eventually(timeout: 60) { ProcessTable.isZombie(start.pid) },
                    "the command never waited for its keeper to hand its record over")
            kill(worker.pid, SIGKILL)
            #expect(await eventually(timeout: 15) { FileManager.default.fileExists(atPath: spool.layout.job(id, .exit)) },
                    "the keeper did not write exit.json when its worker was gone")
            #expect(spool.read(spool.layout.job(id, .exit))?.contains("\"exitCode\":7") == true)
            _ = try spool.startWorker(id: "w2")
            let result = try await mcp.call("wait", ["jobs": [.string(id.rawValue)], "timeout": 20])
            #expect(result["completed"] == true, "\(result.text)")
            // `wait` reports the end from exit.json already; the new worker files it after.
            #expect(await eventually(timeout: 20) { FileManager.default.fileExists(atPath: spool.layout.done(id)) },
                    "the next worker did not file the job")
            let status = try #require(try spool.status(id.rawValue))
            #expect(status.state == .failed, "\(status)")
            #expect(status.exitCode == 7)
            #expect(spool.read(spool.layout.job(id, .stdout)) == "handed\n")
            #expect(await ProcessTable.waitGone(group: start.pid))
        }
    }
}
