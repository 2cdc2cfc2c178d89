import Foundation
import MCP
import Spool
import Testing

/// Nothing of Spool's leaks into a job, and nothing a job leaves behind leaks in Spool.
@Suite("leaks: inherited descriptors and inotify watches", .timeLimit(.minutes(4)))
struct ResourceLeakTests {
    /// The descriptors `ls /proc/self/fd` sees: 0-2, and the one ls opens to list them.
    static let onlyOwn = "0\n1\n2\n3\n"

    @Test("a job inherits no descriptor but 0-2: plain jobs, session commands, and jobs after a worker restart")
    func descriptors() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let plain = try await mcp.call("run", ["command": "ls /proc/self/fd"])
            #expect(plain["stdout"] == .string(Self.onlyOwn), "\(plain.text)")
            let piped = try await mcp.call("run", ["command": "ls /proc/self/fd", "stdin": "some input"])
            #expect(piped["stdout"] == .string(Self.onlyOwn), "\(piped.text)")

            let session = try #require(try await mcp.call("session_start", [:])["session"]?.stringValue)
            let inSession = try await mcp.call("run", ["command": "ls /proc/self/fd", "session": .string(session)])
            #expect(inSession["stdout"] == .string(Self.onlyOwn), "a session command: \(inSession.text)")
            _ = try await mcp.call("session_end", ["session": .string(session)]) // it would hold the only slot

            // The frontend restarts a worker that dies; its jobs inherit nothing either.
            let record = try #require(spool.names(spool.layout.workers).first { $0.hasSuffix(".json") })
            let worker = try #require(try SpoolJSON.load(WorkerRecord.self, from: spool.layout.workers + "/" + record))
            kill(worker.pid, SIGKILL)
            let restarted = await eventually(timeout: 30) {
                spool.names(spool.layout.workers).contains { name in
                    name.hasSuffix(".json") && (try? SpoolJSON.load(WorkerRecord.self, from: spool.layout.workers + "/" + name))?.pid ?? worker.pid != worker.pid
                }
            }
            #expect(restarted, "no worker came back: \(spool.names(spool.layout.workers))")
            let after = try await mcp.call("run", ["command": "ls /proc/self/fd"])
            #expect(after["stdout"] == .string(Self.onlyOwn), "after a worker restart: \(after.text)")
        }
    }

    /// The inotify watches a process holds, from /proc/<pid>/fdinfo.
    static func watches(of pid: Int32) -> Int {
        let folder = "/proc/\(pid)/fdinfo"
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).reduce(0) { count, fd in
            let text = (try? String(contentsOfFile: folder + "/" + fd, encoding: .utf8)) ?? ""
            return count + text.split(separator: "\n").filter { $0.hasPrefix("inotify wd:") }.count
        }
    }

    static func settled(_ pid: Int32, _ count: Int) async -> Bool {
        await eventually(timeout: 10) { watches(of: pid) <= count }
    }

    @Test("1,000 jobs through one worker and an --http spool-mcp: each one's inotify watches return to where they started")
    func watchesReturn() async throws {
        try await withSpool { spool in
            let frontend = try await spool.startHTTP(workers: 0).0.pid
            let worker = try spool.startWorker(id: "w", slots: 4).pid
            let queue = SpoolQueue(layout: spool.layout)
            // One job first, so that every folder watched for good is watched; its own
            // folder's watch goes away once its end is filed.
            try queue.submit(JobRequest(command: "true", priority: .sync))
            let first = await eventually(timeout: 20) { spool.names(spool.layout.done).count == 1 }
            #expect(first)
            _ = await eventually(timeout: 5) { Self.watches(of: worker) <= 3 && Self.watches(of: frontend) <= 8 }
            let workerStart = Self.watches(of: worker), frontendStart = Self.watches(of: frontend)
            #expect(workerStart > 0 && frontendStart > 0)
            for _ in 0..<1_000 { try queue.submit(JobRequest(command: "true", priority: .async)) }
            let drained = await eventually(timeout: 120) { spool.names(spool.layout.done).count == 1_001 }
            #expect(drained)
            let workerSettled = await Self.settled(worker, workerStart)
            let frontendSettled = await Self.settled(frontend, frontendStart)
            let workerEnd = Self.watches(of: worker), frontendEnd = Self.watches(of: frontend)
            #expect(workerSettled, "worker: \(workerEnd) watches, \(workerStart) at the start")
            #expect(frontendSettled, "spool-mcp: \(frontendEnd) watches, \(frontendStart) at the start")
            await spool.cleanup()
        }
    }
}
