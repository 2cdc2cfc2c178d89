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
}
