import Foundation
import ProcessHarness
import Spool

/// Cancel latency: from the moment `cancel` is sent to spool-mcp until the command has
/// died of its TERM, as the keeper's `exit.json` records it (`finishedAtNs`, the same
/// realtime clock). The path under test is the one DESIGN.md asks for: spool-mcp writes
/// the `cancel` marker, the job's worker sees it by inotify and relays it to the keeper
/// as SIGUSR1, and the keeper sends TERM to the command's group.
struct CancelBench {
    let bin: String
    let samples: Int

    func run() async throws {
        let bench = try BenchSpool()
        defer { bench.remove() }
        let mcp = try ChildProcess(bin + "/spool-mcp", ["--spool", bench.root, "--workers", "1"], pipeStdio: true)
        let client = try RawMCPClient(process: mcp)
        let layout = SpoolLayout(root: bench.root)
        let records = JobRecords(layout: layout)
        var latencies: [Double] = []
        for _ in 0..<samples {
            let started = try client.callTool("start", ["command": "exec sleep 30"])
            guard let text = (started["structuredContent"] as? [String: Any])?["job"] as? String, let id = JobID(text) else {
                throw BenchError.protocolError("start did not return a job: \(started)")
            }
            // Running once the keeper's pid is recorded: from then on the relay has a target.
            try await Self.until("job \(id) running") { (try? records.status(id))?.keeperPid != nil }
            let sent = Timestamp.now.nanoseconds
            _ = try client.callTool("cancel", ["job": id.rawValue])
            try await Self.until("job \(id) cancelled") { (try? records.exit(id)) != nil }
            guard let exit = try records.exit(id) else { continue }
            latencies.append(Double(exit.finishedAtNs - sent) / 1e6)
        }
        print("")
        print("cancel latency, \(samples) running jobs (ms)  p50      p95      p99")
        print(BenchCommand.row("cancel sent → command dead of TERM", latencies))
        await mcp.killGroup()
    }

    /// Polls a condition (the benchmark's own observation, not product code) every ms.
    static func until(_ what: String, timeout: Double = 10, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { throw BenchError.timeout(what) }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
