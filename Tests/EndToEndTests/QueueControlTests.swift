import Foundation
import MCP
import Spool
import Testing

@Suite("queue control: order, positions, ETA, promote, stats", .timeLimit(.minutes(2)))
struct QueueControlTests {
    @Test("with one busy slot, async A, async B, sync C: C runs first; positions and ETAs at each step")
    func syncOvertakes() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            // One finished job first, so the moving averages exist and ETAs are numbers.
            let warm = try await mcp.call("run", ["command": "true"])
            #expect(warm["state"] == "succeeded")
            let blocker = try await mcp.call("start", ["command": .string(spool.blocker("go")), "priority": "sync"])
            let blockerID = try #require(blocker["job"]?.stringValue)
            #expect(try await eventually { try spool.status(blockerID)?.state == .running })

            let a = try await mcp.call("start", ["command": .string(spool.mark("A"))])
            #expect(a["state"] == "queued")
            #expect(a["position"] == 1)
            #expect(a["etaSeconds"] != nil && a["etaSeconds"] != .null, "ETA from the moving averages: \(a.text)")
            let b = try await mcp.call("start", ["command": .string(spool.mark("B"))])
            #expect(b["position"] == 2)
            let c = try await mcp.call("start", ["command": .string(spool.mark("C")), "priority": "sync"])
            #expect(c["position"] == 1, "sync counts only the sync requests ahead")
            #expect(c["priority"] == "sync")
            let aNow = try await mcp.call("status", ["job": a["job"]!])
            let bNow = try await mcp.call("status", ["job": b["job"]!])
            #expect(aNow["position"] == 2, "async counts everything ahead")
            #expect(bNow["position"] == 3)
            #expect(aNow.text.contains("position 2"))

            let stats = try await mcp.call("stats", [:])
            #expect(stats["queue"] == ["sync": 1, "async": 2])
            #expect(stats["running"] == 1)
            #expect(stats["workers"] == 1)
            #expect(stats["slots"] == 1)
            #expect(stats.structured["etaSeconds"]?.objectValue?["sync"] != nil)
            #expect(stats.structured["peaks"]?.objectValue?["queuedAsync"] == 2)

            spool.release("go")
            let waited = try await mcp.call("wait", ["jobs": [a["job"]!, b["job"]!, c["job"]!], "timeout": 20])
            #expect(waited["completed"] == true)
            #expect(spool.order == ["C", "A", "B"])
            // The averages are kept in the spool, per priority (written at most once a
            // second per process, so the last samples may take a liveness tick to land).
            #expect(try await eventually(timeout: 20) { // a liveness tick, late on a busy machine
                let averages = try SpoolJSON.load(QueueAverages.self, from: spool.layout.stats)
                return (averages?.sync?.samples ?? 0) >= 3 && averages?.async?.samples == 2
            })
        }
    }

    @Test("promote moves a waiting async job to sync by rename, back with priority async; a running job is refused")
    func promote() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let blocker = try await mcp.call("start", ["command": .string(spool.blocker("go"))])
            let blockerID = try #require(blocker["job"]?.stringValue)
            #expect(try await eventually { try spool.status(blockerID)?.state == .running })
            let a = try await mcp.call("start", ["command": .string(spool.mark("A"))])
            let b = try await mcp.call("start", ["command": .string(spool.mark("B"))])
            let bID = try #require(b["job"]?.stringValue)

            let promoted = try await mcp.call("promote", ["job": .string(bID)])
            #expect(promoted.isError != true, "\(promoted.text)")
            #expect(promoted["outcome"] == "moved")
            #expect(promoted["from"] == "async")
            #expect(spool.names(spool.layout.queue(.sync)) == ["\(bID).json"])
            let status = try await mcp.call("status", ["job": .string(bID)])
            #expect(status["priority"] == "sync")
            #expect(status["position"] == 1)
            let again = try await mcp.call("promote", ["job": .string(bID)])
            #expect(again["outcome"] == "unchanged")

            let running = try await mcp.call("promote", ["job": .string(blockerID)])
            #expect(running.isError == true)
            #expect(running.text.contains("already running"))
            let unknown = try await mcp.call("promote", ["job": "01ARZ3NDEKTSV4RRFFQ69G5FAV"])
            #expect(unknown.isError == true)
            let bad = try await mcp.call("promote", ["job": .string(bID), "priority": "urgent"])
            #expect(bad.isError == true)

            // And back again: A (older) is then served first once more.
            let back = try await mcp.call("promote", ["job": .string(bID), "priority": "async"])
            #expect(back["outcome"] == "moved")
            spool.release("go")
            _ = try await mcp.call("wait", ["jobs": [a["job"]!, .string(bID)], "timeout": 20])
            #expect(spool.order == ["A", "B"])
        }
    }

    @Test("promote racing a claim, 1,000 times: the job either runs as async or waits as sync, never both or neither")
    func promoteRacesClaim() async throws {
        try await withSpool { spool in
            let queue = SpoolQueue(layout: spool.layout)
            let worker = WorkerName("racer")!
            try FileSystem.makeDirectory(spool.layout.active(worker: worker))
            for _ in 0..<1000 {
                let request = JobRequest(command: "true", priority: .async)
                try queue.submit(request)
                async let claimed = (try? queue.claim(QueueEntry(id: request.job, priority: .async), worker: worker)) ?? false
                async let promoted = (try? FileSystem.rename(spool.layout.queued(request.job, .async),
                                                             to: spool.layout.queued(request.job, .sync))) ?? false
                let (c, p) = await (claimed, promoted)
                #expect(c != p)
                let places = [spool.layout.active(request.job, worker: worker), spool.layout.queued(request.job, .sync),
                              spool.layout.queued(request.job, .async)].filter { FileSystem.exists($0) }
                #expect(places.count == 1)
            }
        }
    }
}
