import Foundation
import MCP
import Spool
import Testing

@Suite("cancel", .timeLimit(.minutes(2)))
struct CancelTests {
    @Test("cancelling a queued job removes it from the queue; it never runs")
    func cancelQueued() async throws {
        try await withMCP(workers: 0) { spool, mcp in
            let started = try await mcp.call("start", ["command": "touch \(spool.root)/../ran"])
            let id = try #require(started["job"]?.stringValue)
            #expect(started["state"] == "queued")
            #expect(started["position"] == 1)
            let cancelled = try await mcp.call("cancel", ["job": .string(id)])
            #expect(cancelled["outcome"] == "dequeued")
            #expect(cancelled["state"] == "cancelled")
            #expect(spool.names(spool.layout.queue(.async)).isEmpty)
            #expect(spool.names(spool.layout.done) == ["\(id).json"])
            // A worker arriving later finds nothing to run.
            _ = try spool.startWorker(id: "late")
            try await Task.sleep(for: .milliseconds(500))
            #expect(!FileManager.default.fileExists(atPath: spool.root + "/../ran"))
            #expect(try spool.status(id)?.state == .cancelled)
            let again = try await mcp.call("cancel", ["job": .string(id)])
            #expect(again["outcome"] == "already_finished")
        }
    }

    @Test("cancelling a running job terminates its process group")
    func cancelRunning() async throws {
        try await withMCP(workers: 1, extra: ["--kill-grace", "1"]) { spool, mcp in
            // The trap ignores TERM, so only the KILL after the grace period ends it.
            let result = try await mcp.call("run", ["command": "trap '' TERM; echo started; sleep 60 & wait", "wait": 0.5])
            let id = try #require(result["job"]?.stringValue)
            let deadline = Date().addingTimeInterval(10)
            while try spool.status(id)?.state != .running && Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try spool.status(id)?.state == .running)
            let cancelled = try await mcp.call("cancel", ["job": .string(id)])
            #expect(cancelled["outcome"] == "terminated")
            #expect(cancelled["state"] == "cancelled")
            let status = try #require(try spool.status(id))
            #expect(status.state == .cancelled)
            #expect(status.signal == 9)
            #expect(await ProcessTable.waitGone(group: try #require(status.pid)), "nothing of the group survives")
        }
    }

    @Test("a cancel that comes after the start but before the folder is watched for markers is carried out when the watch begins")
    func cancelBeforeTheMarkerWatch() async throws {
        try await withMCP(workers: 0) { spool, mcp in
            // The worker watches a job's folder for markers only once it has run this long.
            _ = try spool.startWorker(id: "w", environment: ["SPOOL_RUNNING_STATUS_DELAY_MS": "1500"])
            let started = try await mcp.call("start", ["command": "echo started; sleep 60", "priority": "sync"])
            let id = try #require(JobID(started["job"]?.stringValue ?? ""))
            #expect(await eventually(timeout: 15) {
                JobRecords(layout: spool.layout).keeperStart(id) != nil && spool.read(spool.layout.job(id, .stdout)) == "started\n"
            })
            // The keeper looked for a cancel when it forked the command; this one comes after.
            let begun = Date()
            _ = try await mcp.call("cancel", ["job": .string(id.rawValue)])
            _ = try await mcp.call("wait", ["jobs": [.string(id.rawValue)], "timeout": 20])
            let status = try #require(try spool.status(id.rawValue))
            #expect(status.state == .cancelled, "\(status)")
            #expect(Date().timeIntervalSince(begun) < 20, "the cancel waited for the command's own end")
        }
    }
}
