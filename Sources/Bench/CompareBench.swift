import Foundation
import ProcessHarness
import Spool

/// `spool-bench --compare`: Spool next to mcp-shell-server 1.1.14 (a Python MCP server
/// that simply spawns the command), measured in one run with the same raw client, on the
/// disk that holds the temporary folder. Each figure is printed with its ratio.
struct CompareBench {
    let bin: String
    /// The mcp-shell-server executable (installed by `PeerInstall`).
    let peer: String
    let calls: Int
    let jobs: Int
    /// Spools are removed only at the end: deleting thousands of files between figures
    /// would make ext4 scan the freshly freed inodes on each later create, charging the
    /// benchmark's own clean-up to the next figure.
    let leftovers = Leftovers()

    /// Spool's own figures for the build in `bin` and for `baseline` (an earlier build),
    /// measured in the same run, each figure for both before the next: before and after,
    /// with mcp-shell-server's beside them where it has the figure (`peer`, when given).
    /// First, with `warmUp` > 0, that many jobs are run and retired on the same disk:
    /// ext4 then has that many freshly freed inodes to scan, as a long-used disk has.
    func beforeAfter(baseline: String, warmUp: Int) async throws {
        let before = CompareBench(bin: baseline, peer: peer, calls: calls, jobs: jobs)
        defer {
            leftovers.removeAll()
            before.leftovers.removeAll()
        }
        print("")
        print("before/after: \(baseline) (before) and \(bin) (after); temporary folders in \(NSTemporaryDirectory())")
        // Each build's round trips run in a spool where it created and retired `warmUp` jobs.
        let oldSpool = warmUp > 0 ? try await before.warmUp(jobs: warmUp) : nil
        let newSpool = warmUp > 0 ? try await self.warmUp(jobs: warmUp) : nil
        var rows: [(String, Double, Double, Double?, String)] = []
        let (oldRound, newRound) = (try await before.roundTrips(.spool, in: oldSpool), try await roundTrips(.spool, in: newSpool))
        let peerRound = peer.isEmpty ? nil : try await roundTrips(.shellServer)
        rows.append(("run true p50 (ms)", oldRound.p50, newRound.p50, peerRound?.p50, "<= 0.75x peer"))
        rows.append(("run true p99 (ms)", oldRound.p99, newRound.p99, peerRound?.p99, ""))
        rows.append(("500 calls, 8 in flight (calls/s)", oldRound.concurrentRate, newRound.concurrentRate, peerRound?.concurrentRate, ">= 2x peer"))
        rows.append(("spool-mcp CPU per run true (ms, user+system)", oldRound.cpuPerCall, newRound.cpuPerCall, nil, ""))
        rows.append(("spool-mcp RSS after the round trips (MB)", oldRound.rss, newRound.rss, peerRound?.rss, ""))
        rows.append(("cold start to tools/list (ms)", try before.coldStart(.spool), try coldStart(.spool), nil, ""))
        let (oldAccepted, oldDrained) = try await before.startAndDrain(in: oldSpool)
        let (newAccepted, newDrained) = try await startAndDrain(in: newSpool)
        let raw = Self.rawSpawnRate(spawners: 2, total: jobs)
        rows.append(("\(jobs) durable start, 8 in flight (accepted/s)", oldAccepted, newAccepted, nil, ""))
        rows.append(("\(jobs) jobs drained by 2 workers (jobs/s)", oldDrained, newDrained, nil, ""))
        rows.append(("  drain / 2 raw sh -c true spawners (%)", oldDrained / raw * 100, newDrained / raw * 100, nil, ">= 50 %"))
        rows.append(("spool-mcp peak RSS, run printing 50 MB (MB)", try await before.peakDuringOutput(), try await peakDuringOutput(), nil, ""))
        print("")
        print("figure".padding(toLength: 46, withPad: " ", startingAt: 0) + "     before      after    ratio  mcp-shell-server  after/peer   target")
        for (label, old, new, peer, target) in rows {
            let peerText = peer.map { String(format: "%18.2f%12.2fx", $0, new / $0) } ?? String(repeating: " ", count: 31)
            print(label.padding(toLength: 46, withPad: " ", startingAt: 0) + String(format: "%11.2f%11.2f%8.2fx", old, new, new / old) + peerText + "   " + target)
        }
        print("(raw: \(String(format: "%.0f", raw)) spawns/s)")
    }

    /// A new spool in which this build created and retired `count` jobs (`BenchSpool.retire`),
    /// for measuring in.
    func warmUp(jobs count: Int) async throws -> BenchSpool {
        let begin = Date()
        let spool = try leftovers.spool()
        try await spool.retire(count, bin: bin)
        print(String(format: "warm-up (%@): %d jobs created and retired in %.1f s; %d spare inodes kept", bin, count,
                     Date().timeIntervalSince(begin), FileSystem.list(SpoolLayout(root: spool.root).spare).count))
        return spool
    }

    func run() async throws {
        defer { leftovers.removeAll() }
        print("")
        print("compare: spool-mcp (\(bin), default --workers: one per core) and mcp-shell-server 1.1.14 (\(peer)); temporary folders in \(NSTemporaryDirectory())")
        var rows: [CompareRow] = []

        let spoolRound = try await roundTrips(.spool)
        let peerRound = try await roundTrips(.shellServer)
        rows.append(CompareRow("run true p50 (ms)", spoolRound.p50, peerRound.p50, target: "<= 0.75x"))
        rows.append(CompareRow("run true p99 (ms)", spoolRound.p99, peerRound.p99, target: nil))
        rows.append(CompareRow("500 calls, 8 in flight (calls/s)", spoolRound.concurrentRate, peerRound.concurrentRate, target: ">= 2x"))
        rows.append(CompareRow("RSS after the round trips (MB)", spoolRound.rss, peerRound.rss, target: "<= 20 MB"))
        rows.append(CompareRow("cold start to tools/list (ms)", try coldStart(.spool), try coldStart(.shellServer), target: "<= 50 ms"))

        let (accepted, drained) = try await startAndDrain()
        let raw = Self.rawSpawnRate(spawners: 2, total: jobs)
        rows.append(CompareRow("\(jobs) durable start, 8 in flight (accepted/s)", accepted, nil, target: ">= 3000"))
        rows.append(CompareRow("\(jobs) jobs drained by 2 workers (jobs/s)", drained, nil, target: nil))
        rows.append(CompareRow("2 raw /bin/sh -c true spawners (spawns/s)", raw, nil, target: nil))
        rows.append(CompareRow("  drain / raw spawn rate (%)", drained / raw * 100, nil, target: ">= 70 %"))
        rows.append(CompareRow("start -> wait -> output, echo hi, p50 (ms)", try await startWaitOutput(), nil, target: "<= 0.75x mcp-background-job"))
        rows.append(CompareRow("peak RSS, run printing 50 MB (MB)", try await peakDuringOutput(), nil, target: "<= 30 MB"))

        print("")
        print("figure".padding(toLength: 46, withPad: " ", startingAt: 0) + "     spool  mcp-shell-server   ratio   target")
        for row in rows { print(row.line) }
    }

    // MARK: the servers

    enum Server {
        case spool
        case shellServer

        var tool: String { self == .spool ? "run" : "shell_execute" }

        func arguments(_ words: [String]) -> [String: Any] {
            self == .spool ? ["command": words.joined(separator: " ")] : ["command": words]
        }
    }

    /// - Parameter workers: spool-mcp's `--workers`; nil for its default (one per core).
    func launch(_ server: Server, spool: BenchSpool, workers: Int? = nil) throws -> ChildProcess {
        switch server {
        case .spool:
            try ChildProcess(bin + "/spool-mcp", ["--spool", spool.root] + (workers.map { ["--workers", String($0)] } ?? []), pipeStdio: true)
        case .shellServer:
            try ChildProcess(peer, [], environment: ["ALLOW_COMMANDS": "true,echo,head,tr"], pipeStdio: true)
        }
    }

    static func succeeded(_ server: Server, _ result: [String: Any]) throws {
        let ok = server == .spool
            ? (result["structuredContent"] as? [String: Any])?["state"] as? String == "succeeded"
            : result["isError"] as? Bool != true
        guard ok else { throw BenchError.protocolError("\(server.tool) true did not succeed: \(result)") }
    }

    struct RoundTrips {
        var p50: Double
        var p99: Double
        var concurrentRate: Double
        var rss: Double
        /// The server's user + system CPU per sequential call (ms).
        var cpuPerCall: Double
    }

    /// A process's user + system CPU time so far, in milliseconds (`/proc/<pid>/stat`).
    static func cpuMilliseconds(_ pid: pid_t) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return .nan }
        // Fields after the command's closing parenthesis start at field 3 (state).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) * 1000 / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// - Parameter spool: where (a warmed-up spool); a new one by default.
    func roundTrips(_ server: Server, in spool: BenchSpool? = nil) async throws -> RoundTrips {
        let spool = try spool ?? leftovers.spool()
        let process = try launch(server, spool: spool)
        let client = try RawMCPClient(process: process)
        let arguments = server.arguments(["true"])
        for _ in 0..<20 { try Self.succeeded(server, client.callTool(server.tool, arguments)) } // warm-up
        let cpuBefore = Self.cpuMilliseconds(process.pid)
        let samples = try (0..<calls).map { _ in
            try BenchCommand.time { try Self.succeeded(server, client.callTool(server.tool, arguments)) }
        }
        let cpuPerCall = (Self.cpuMilliseconds(process.pid) - cpuBefore) / Double(calls)
        let concurrent = try client.pipelined(server.tool, arguments, count: 500, inFlight: 8) { try Self.succeeded(server, $0) }
        let rss = BenchCommand.residentMB(process.pid, field: "VmRSS:") ?? .nan
        await process.killGroup()
        return RoundTrips(p50: BenchCommand.percentile(samples, 50), p99: BenchCommand.percentile(samples, 99),
                          concurrentRate: 500 / concurrent.seconds, rss: rss, cpuPerCall: cpuPerCall)
    }

    /// Median of 5: from spawning the server to the answer to its first `tools/list`.
    func coldStart(_ server: Server) throws -> Double {
        var samples: [Double] = []
        for _ in 0..<5 {
            let spool = try leftovers.spool()
            var process: ChildProcess?
            samples.append(try BenchCommand.time {
                let started = try launch(server, spool: spool)
                process = started
                let client = try RawMCPClient(process: started)
                _ = try client.request("tools/list", [:])
            })
            if let process { kill(-process.pid, SIGKILL); _ = waitpid(process.pid, nil, 0) }
        }
        return BenchCommand.percentile(samples, 50)
    }

    // MARK: Spool only

    /// `jobs` durable `start true` with 8 in flight and no worker (accepted per second),
    /// then the rate at which 2 workers drain them.
    /// - Parameter spool: where (a warmed-up spool, with the round trips' jobs in it); a
    ///   new one by default.
    func startAndDrain(drain: Bool = true, in spool: BenchSpool? = nil) async throws -> (accepted: Double, drained: Double) {
        let spool = try spool ?? leftovers.spool()
        let alreadyDone = FileSystem.list(SpoolLayout(root: spool.root).done).count
        let mcp = try launch(.spool, spool: spool, workers: 0)
        let client = try RawMCPClient(process: mcp)
        let started = try client.pipelined("start", ["command": "true"], count: jobs, inFlight: 8) { result in
            guard (result["structuredContent"] as? [String: Any])?["job"] is String else {
                throw BenchError.protocolError("start did not return a job: \(result)")
            }
        }
        guard drain else {
            await mcp.killGroup()
            return (Double(jobs) / started.seconds, .nan)
        }
        let layout = SpoolLayout(root: spool.root)
        let begin = Date()
        let workers = try (0..<2).map { index in
            try ChildProcess(bin + "/spool-worker", ["--spool", spool.root, "--id", "compare-\(index)"])
        }
        try await layout.drained(to: alreadyDone + jobs, within: 300, what: "draining \(jobs) jobs")
        let drained = Double(jobs) / Date().timeIntervalSince(begin)
        for worker in workers { await worker.killGroup() }
        await mcp.killGroup()
        return (Double(jobs) / started.seconds, drained)
    }

    /// Spawns per second of `spawners` threads each running `/bin/sh -c true` and reaping it.
    static func rawSpawnRate(spawners: Int, total: Int) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: spawners) { _ in
            for _ in 0..<(total / spawners) { try? BenchCommand.spawnShellTrue() }
        }
        return Double(total) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// p50 of 100 sequential `start` → `wait` → `output` of `echo hi`.
    func startWaitOutput() async throws -> Double {
        let spool = try leftovers.spool()
        let mcp = try launch(.spool, spool: spool)
        let client = try RawMCPClient(process: mcp)
        var samples: [Double] = []
        for index in 0..<110 {
            let elapsed = try BenchCommand.time {
                let started = try client.callTool("start", ["command": "echo hi"])
                guard let job = (started["structuredContent"] as? [String: Any])?["job"] as? String else {
                    throw BenchError.protocolError("start: \(started)")
                }
                _ = try client.callTool("wait", ["jobs": [job], "timeout": 30])
                let output = try client.callTool("output", ["job": job])
                guard (output["structuredContent"] as? [String: Any])?["data"] as? String == "hi\n" else {
                    throw BenchError.protocolError("output: \(output)")
                }
            }
            if index >= 10 { samples.append(elapsed) }
        }
        await mcp.killGroup()
        return BenchCommand.percentile(samples, 50)
    }

    /// spool-mcp's peak RSS after round trips and one `run` whose command prints 50 MB.
    func peakDuringOutput() async throws -> Double {
        let spool = try leftovers.spool()
        let mcp = try launch(.spool, spool: spool)
        let client = try RawMCPClient(process: mcp)
        for _ in 0..<20 { _ = try client.callTool("run", ["command": "true"]) }
        let result = try client.callTool("run", ["command": "head -c 50000000 /dev/zero | tr '\\0' x", "wait": 120])
        try Self.succeeded(.spool, result)
        let peak = BenchCommand.residentMB(mcp.pid, field: "VmHWM:") ?? .nan
        await mcp.killGroup()
        return peak
    }
}

/// The temporary spools of one comparison, removed together at its end.
final class Leftovers {
    private var spools: [BenchSpool] = []

    func spool() throws -> BenchSpool {
        let spool = try BenchSpool()
        spools.append(spool)
        return spool
    }

    func removeAll() {
        for spool in spools { spool.remove() }
        spools = []
    }
}

/// One line of the comparison: Spool's figure, the peer's when it has one, their ratio.
struct CompareRow {
    let label: String
    let spool: Double
    let peer: Double?
    let target: String?

    init(_ label: String, _ spool: Double, _ peer: Double?, target: String?) {
        self.label = label
        self.spool = spool
        self.peer = peer
        self.target = target
    }

    var line: String {
        let peerText = peer.map { String(format: "%17.2f", $0) } ?? String(repeating: " ", count: 16) + "-"
        let ratio = peer.map { String(format: "%7.2fx", spool / $0) } ?? "       -"
        return label.padding(toLength: 46, withPad: " ", startingAt: 0) + String(format: "%10.2f", spool) + peerText + ratio + "   " + (target ?? "")
    }
}

/// Installs mcp-shell-server 1.1.14 from PyPI into a virtual environment under `.build*/`
/// when it is missing.
enum PeerInstall {
    static let package = "mcp-shell-server==1.1.14"

    /// The executable inside `venv`, installed first if needed.
    static func ensure(venv: String) async throws -> String {
        let executable = venv + "/bin/mcp-shell-server"
        if FileManager.default.isExecutableFile(atPath: executable) { return executable }
        print("compare: installing \(package) into \(venv) ...")
        try await step("/usr/bin/env", ["python3", "-m", "venv", venv], "creating the virtual environment (Debian: apt-get install python3-venv)")
        try await step(venv + "/bin/pip", ["install", "-q", package], "pip install \(package)")
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BenchError.protocolError("\(package) installed, but \(executable) is missing")
        }
        return executable
    }

    private static func step(_ path: String, _ arguments: [String], _ what: String) async throws {
        let log = NSTemporaryDirectory() + "spool-bench-install.log"
        let child = try ChildProcess(path, arguments, stderrPath: log)
        guard let status = await child.wait(timeout: 600), status == 0 else {
            throw BenchError.protocolError("\(what) failed; see \(log)")
        }
    }

    /// `<folder named .build*>/compare-venv` above the benchmark's own binary.
    static func defaultVenv(bin: String) -> String {
        var url = URL(fileURLWithPath: bin).resolvingSymlinksInPath()
        while url.path != "/" {
            if url.lastPathComponent.hasPrefix(".build") { return url.path + "/compare-venv" }
            url.deleteLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath + "/.build/compare-venv"
    }
}
