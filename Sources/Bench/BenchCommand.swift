import ArgumentParser
import Foundation
import ProcessHarness
import Spool

/// `swift run -c release spool-bench`: the figures DESIGN.md's targets are judged by.
/// It starts real spool-mcp / spool-worker processes (from the same build folder) on a
/// temporary spool, prints figures, and removes everything it started.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spool-bench",
        abstract: "Measures Spool's round trip, throughput and memory.")

    @Option(help: "run-true round trips to time.") var calls = 200
    @Option(help: "Jobs for the throughput test.") var jobs = 1000
    @Option(help: "Megabytes printed by the memory test's job.") var megabytes = 200
    @Flag(help: "Skip the 200 MB memory test.") var skipMemory = false
    @Flag(help: "Only compare Spool with mcp-shell-server 1.1.14 (installed from PyPI when missing).") var compare = false
    @Option(help: "Virtual environment for mcp-shell-server (default: .build/compare-venv).") var peerVenv: String?
    @Flag(help: "Only measure watched files (append to event) and backups (a tree of --tree-files files).") var watched = false
    @Option(help: "Files in the backed-up tree of the --watched benchmark.") var treeFiles = 10_000
    @Flag(help: "Only measure many hosts through a private PostgreSQL cluster (round trip, claim-to-start, drain by 1 and 2 worker hosts).") var hosts = false
    @Option(help: "Slots per worker host in the --hosts drain.") var slots = 8
    @Flag(help: "Only measure the job policy's cost: run true without a policy, under --write/--read-only/--network off, and with limits.") var policy = false
    @Option(help: "With --policy or --compare: also measure the spool-mcp in this folder (an earlier build), in the same run (--compare then prints before and after).") var baseline: String?
    @Flag(help: "Only compare the protocol revisions on stdio: run true and start, 2025-11-25 next to 2026-07-28 (and start as a task).") var eras = false
    @Flag(help: "Only measure the screen tool on a terminal job that printed --screen-megabytes MB.") var screen = false
    @Option(help: "Megabytes printed by the --screen benchmark's terminal job.") var screenMegabytes = 10
    @Flag(help: "Only count the file-system operations (names created, renamed, removed; flushes) per run true, with strace.") var operations = false
    @Option(help: "With --compare --baseline: jobs run and retired first on the same disk, so that ext4 has freed inodes to scan as a long-used disk has.") var warmUp = 5000
    @Flag(help: "Only measure the spool's JSON: encoding and decoding each record a run true writes and reads.") var codec = false
    @Option(help: "Only measure calls with this many requests waiting (comma-separated depths, e.g. 1000,10000,50000); with --baseline, the earlier build too.") var depth: String?

    func run() async throws {
        let bin = URL(fileURLWithPath: Executables.sibling("spool-mcp")).deletingLastPathComponent().path
        print("spool-bench: binaries from \(bin); \(ProcessInfo.processInfo.activeProcessorCount) cores")
        if compare {
            let peer = try await PeerInstall.ensure(venv: peerVenv ?? PeerInstall.defaultVenv(bin: bin))
            if let baseline {
                try await CompareBench(bin: bin, peer: peer, calls: calls, jobs: jobs).beforeAfter(baseline: baseline, warmUp: warmUp)
                return
            }
            try await CompareBench(bin: bin, peer: peer, calls: calls, jobs: jobs).run()
            return
        }
        if hosts {
            try await ManyHostsBench(bin: bin, calls: calls, jobs: jobs, slots: slots).run()
            return
        }
        if watched {
            try await WatchedBench(bin: bin, lines: 300, files: treeFiles).run()
            return
        }
        if eras {
            try await ErasBench(bin: bin, calls: calls).run()
            return
        }
        if policy {
            try await PolicyBench(bin: bin, calls: calls, baseline: baseline).run()
            return
        }
        if operations {
            try await OperationsBench(bin: bin, calls: calls).run()
            return
        }
        if codec {
            try CodecBench(iterations: 20_000).run()
            return
        }
        if let depth {
            try await DepthBench(bin: bin, depths: depth.split(separator: ",").compactMap { Int($0) }, baseline: baseline).run()
            return
        }
        if screen {
            try await TerminalBench(bin: bin, samples: calls, megabytes: screenMegabytes).run()
            return
        }
        try await roundTrip(bin: bin)
        try await PolicyBench(bin: bin, calls: calls).run()
        try await HTTPBench(bin: bin, calls: calls).run()
        try await CancelBench(bin: bin, samples: 50).run()
        try await TerminalBench(bin: bin, samples: calls, megabytes: screenMegabytes).run()
        for workers in [1, 2] { try await throughput(bin: bin, workers: workers) }
        if !skipMemory { try await memory(bin: bin) }
    }

    // MARK: round trip

    func roundTrip(bin: String) async throws {
        let floor = try (0..<calls).map { _ in try Self.time { try Self.spawnShellTrue() } }
        let bench = try BenchSpool()
        defer { bench.remove() }
        let mcp = try ChildProcess(bin + "/spool-mcp", ["--spool", bench.root, "--workers", "1"], pipeStdio: true)
        let client = try RawMCPClient(process: mcp)
        for _ in 0..<20 { _ = try client.callTool("run", ["command": "true"]) } // warm-up
        let samples = try (0..<calls).map { _ in
            try Self.time {
                let result = try client.callTool("run", ["command": "true"])
                guard (result["structuredContent"] as? [String: Any])?["state"] as? String == "succeeded" else {
                    throw BenchError.protocolError("run true did not succeed: \(result)")
                }
            }
        }
        print("")
        print("round trip, \(calls) calls (milliseconds)      p50      p95      p99")
        print(Self.row("direct spawn /bin/sh -c true (floor)", floor))
        print(Self.row("MCP run true over stdio, 1 worker", samples))
        print(String(format: "  p50 above the floor: %.2f ms", Self.percentile(samples, 50) - Self.percentile(floor, 50)))
        await mcp.killGroup()
    }

    // MARK: throughput

    func throughput(bin: String, workers: Int) async throws {
        let bench = try BenchSpool()
        defer { bench.remove() }
        let mcp = try ChildProcess(bin + "/spool-mcp", ["--spool", bench.root, "--workers", "0"], pipeStdio: true)
        let client = try RawMCPClient(process: mcp)
        for _ in 0..<jobs { _ = try client.callTool("start", ["command": "true"]) }
        let layout = SpoolLayout(root: bench.root)
        let start = Date()
        let started = try (0..<workers).map { index in
            try ChildProcess(bin + "/spool-worker", ["--spool", bench.root, "--id", "bench-\(index)"])
        }
        try await layout.drained(to: jobs, within: 300, what: "draining \(jobs) jobs")
        let elapsed = Date().timeIntervalSince(start)
        let failed = FileSystem.list(layout.done).compactMap(JobID.init(fileName:)).filter {
            (try? JobRecords(layout: layout).status($0)?.state) != .succeeded
        }
        print(String(format: "throughput: %d x 'start true' drained by %d worker(s) in %.2f s = %.0f jobs/s%@",
                     jobs, workers, elapsed, Double(jobs) / elapsed, failed.isEmpty ? "" : " (\(failed.count) not succeeded!)"))
        // CPU is steadier than wall time on a shared VM: the workers' own time plus that of
        // the supervisors, keepers and commands they (or their fork servers) reaped.
        let cpu = started.map { Self.cpuSecondsWithChildren($0.pid) }.reduce(0, +)
        print(String(format: "  worker-side CPU: %.2f ms per job", cpu * 1000 / Double(jobs)))
        for worker in started { await worker.killGroup() }
        await mcp.killGroup()
    }

    // MARK: memory

    func memory(bin: String) async throws {
        let bench = try BenchSpool()
        defer { bench.remove() }
        let mcp = try ChildProcess(bin + "/spool-mcp", ["--spool", bench.root, "--workers", "1"], pipeStdio: true)
        let client = try RawMCPClient(process: mcp)
        let bytes = megabytes * 1_000_000
        let command = "head -c \(bytes) /dev/zero | tr '\\0' 'x'"
        let result = try client.callTool("run", ["command": command, "wait": 300])
        let content = result["structuredContent"] as? [String: Any] ?? [:]
        let layout = SpoolLayout(root: bench.root)
        let worker = FileSystem.list(layout.workers).first { $0.hasSuffix(".json") }
        let workerPid = worker.flatMap { try? SpoolJSON.load(WorkerRecord.self, from: layout.workers + "/" + $0)?.pid }
        print("")
        print("memory while a job prints \(megabytes) MB (state \(content["state"] ?? "?"), stdoutBytes \(content["stdoutBytes"] ?? "?"))")
        print("  spool-mcp    peak RSS \(Self.peakRSS(mcp.pid)) MB")
        if let workerPid { print("  spool-worker peak RSS \(Self.peakRSS(workerPid)) MB") }
        await mcp.killGroup()
    }

    // MARK: helpers

    static func time(_ body: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    static func spawnShellTrue() throws {
        let child = try ChildProcess("/bin/sh", ["-c", "true"])
        var status: Int32 = 0
        waitpid(child.pid, &status, 0)
    }

    static func percentile(_ samples: [Double], _ p: Double) -> Double {
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int((p / 100) * Double(sorted.count)))]
    }

    static func row(_ label: String, _ samples: [Double]) -> String {
        label.padding(toLength: 40, withPad: " ", startingAt: 0)
            + String(format: "%8.2f %8.2f %8.2f", percentile(samples, 50), percentile(samples, 95), percentile(samples, 99))
    }

    /// utime + stime + cutime + cstime of a live process, in seconds.
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the name: state is field 3, so utime..cstime (14-17) are at 11...14 here.
        let ticks = fields[11...14].compactMap { Double($0) }.reduce(0, +)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// A worker's CPU with that of its live children: its fork server reaps the
    /// supervisors (which reap their keepers and commands), so their time is the server's.
    static func cpuSecondsWithChildren(_ pid: Int32) -> Double {
        var total = cpuSeconds(pid)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = Int32(name), let text = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = text.lastIndex(of: ")") else { continue }
            let fields = text[text.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == pid { total += cpuSeconds(child) } // field 4: the parent's pid
        }
        return total
    }

    /// VmHWM: the highest resident set size the process has had, in MB.
    static func peakRSS(_ pid: Int32) -> String {
        residentMB(pid, field: "VmHWM:").map { String(format: "%.1f", $0) } ?? "?"
    }

    /// A memory figure of `/proc/PID/status` (`VmRSS:`, `VmHWM:`), in MB; nil when unreadable.
    static func residentMB(_ pid: Int32, field: String) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb / 1024
    }
}

/// A temporary spool folder for one measurement.
struct BenchSpool {
    let root: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "spool-bench-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchError.protocolError("cannot create a temporary folder") }
        root = String(cString: made)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}
