import Foundation
import ProcessHarness
import Spool

/// `--depth N,...`: what a call costs with N requests waiting (`spool-mcp --workers 0`, so
/// nothing drains them): the queue is filled through `start`, then each call is timed five
/// times at that depth. With `--baseline DIR` the earlier build is measured in the same
/// run, depth by depth. Spools go under the temporary folder (`TMPDIR`), which should be
/// the machine's ordinary disk.
struct DepthBench {
    let bin: String
    let depths: [Int]
    let baseline: String?

    struct Row {
        var filled = 0.0, start = 0.0, status = 0.0, list = 0.0, stats = 0.0, queuedRun = 0.0, removal = 0.0
    }

    func run() async throws {
        print("")
        print("calls with N requests waiting (milliseconds, median of 5; fill rate in starts/s; removal of the spool in s)")
        print("build".padding(toLength: 8, withPad: " ", startingAt: 0)
              + "      N  fill/s   start  status list(20)  stats  queued run  rm -rf")
        for depth in depths {
            for (label, folder) in [("before", baseline), ("after", bin)] {
                guard let folder else { continue }
                let row = try await measure(bin: folder, depth: depth)
                print(String(format: "%@ %7d %7.0f %7.2f %7.2f %8.2f %6.2f %10.2f %7.1f", label.padding(toLength: 7, withPad: " ", startingAt: 0),
                             depth, row.filled, row.start, row.status, row.list, row.stats, row.queuedRun, row.removal))
            }
        }
    }

    private func measure(bin: String, depth: Int) async throws -> Row {
        let spool = try BenchSpool()
        let mcp = try ChildProcess(bin + "/spool-mcp", ["--spool", spool.root, "--workers", "0"], pipeStdio: true)
        let client = try RawMCPClient(process: mcp)
        var row = Row()
        let began = DispatchTime.now().uptimeNanoseconds
        var first: String?
        for _ in 0..<depth {
            let started = try client.callTool("start", ["command": "true"])
            if first == nil { first = (started["structuredContent"] as? [String: Any])?["job"] as? String }
        }
        row.filled = Double(depth) / (Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9)
        func median(_ name: String, _ arguments: [String: Any]) throws -> Double {
            let samples = try (0..<5).map { _ in try BenchCommand.time { _ = try client.callTool(name, arguments) } }
            return BenchCommand.percentile(samples, 50)
        }
        row.start = try median("start", ["command": "true"])
        row.status = try median("status", ["job": first ?? ""])
        row.list = try median("list", ["limit": 20])
        row.stats = try median("stats", [:])
        row.queuedRun = try median("run", ["command": "true", "wait": 0.001])
        await mcp.killGroup()
        row.removal = try BenchCommand.time { spool.remove() } / 1000
        return row
    }
}
