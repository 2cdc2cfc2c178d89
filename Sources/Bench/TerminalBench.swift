import Foundation
import ProcessHarness
import Spool

/// `screen` latency on a terminal that has printed 10 MB (issue "Terminals"): the first
/// look replays the whole output through libvterm (as after a restart of spool-mcp);
/// later looks replay only what came since, so they cost the same whatever the total.
struct TerminalBench {
    let bin: String
    let samples: Int
    let megabytes: Int

    func run() async throws {
        let bench = try BenchSpool()
        defer { bench.remove() }
        let mcp = try ChildProcess(bin + "/spool-mcp", ["--spool", bench.root, "--workers", "1"], pipeStdio: true)
        let client = try RawMCPClient(process: mcp)
        let layout = SpoolLayout(root: bench.root)
        let records = JobRecords(layout: layout)
        // base64 of random bytes: 100-column lines, about 4/3 of the bytes read.
        let bytes = megabytes * 1_000_000 * 3 / 4
        let started = try client.callTool("start", ["command": "head -c \(bytes) /dev/urandom | base64 -w 100; echo printed; read x",
                                                    "tty": true, "priority": "sync"])
        guard let text = (started["structuredContent"] as? [String: Any])?["job"] as? String, let id = JobID(text) else {
            throw BenchError.protocolError("start did not return a job: \(started)")
        }
        let target = Int64(megabytes * 1_000_000)
        try await CancelBench.until("job \(id) printed \(megabytes) MB", timeout: 120) { records.outputSize(id, .stdout) >= target }
        // Quiet: the size holds for half a second (the benchmark's own observation).
        var size: Int64 = -1
        while size != records.outputSize(id, .stdout) {
            size = records.outputSize(id, .stdout)
            try await Task.sleep(for: .milliseconds(500))
        }
        let look: ([String: Any]) -> [String: Any] = { ($0["structuredContent"] as? [String: Any]) ?? [:] }
        var first: [String: Any] = [:]
        let cold = try BenchCommand.time { first = look(try client.callTool("screen", ["job": id.rawValue, "settle": 0])) }
        guard first["state"] as? String == "awaiting_input" else { throw BenchError.protocolError("the screen is not waiting: \(first)") }
        let settled = try (0..<samples).map { _ in
            try BenchCommand.time { _ = try client.callTool("screen", ["job": id.rawValue, "settle": 0]) }
        }
        // A keystroke between looks: the look replays its echo only.
        let typed = try (0..<min(samples, 100)).map { _ in
            _ = try client.callTool("send_input", ["job": id.rawValue, "data": "x"])
            return try BenchCommand.time { _ = try client.callTool("screen", ["job": id.rawValue, "settle": 50]) }.advanced(by: -50)
        }
        print("")
        print(String(format: "screen of a terminal that printed %.1f MB (ms)  p50      p95      p99", Double(size) / 1e6))
        print(BenchCommand.row("first look (replays everything)", [cold]))
        print(BenchCommand.row("settled, \(samples) looks", settled))
        print(BenchCommand.row("after a keystroke (less settle 50)", typed))
        _ = try client.callTool("cancel", ["job": id.rawValue])
        await mcp.killGroup()
    }
}
