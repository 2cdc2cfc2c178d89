import Foundation
import ProcessHarness
import Spool

/// `spool-bench --hosts`: many hosts through a private PostgreSQL cluster. The "hosts" are
/// spools of their own on this machine's loopback (the tests use network namespaces; the
/// figures here are about the relays, not about a network).
/// - `run true` p50 on one host, next to the same call run on a worker host;
/// - claim-to-start: from a worker host's claim in PostgreSQL to the command's start;
/// - `jobs` jobs of `sleep 0.2` drained by 1 and by 2 worker hosts of `slots` slots each,
///   so slots bound the rate, not this machine's cores.
struct ManyHostsBench {
    let bin: String
    let calls: Int
    let jobs: Int
    let slots: Int

    func run() async throws {
        let cluster = try await PostgresCluster()
        if let file = Self.traceFile { print("relay trace: \(file)") }
        var spools: [BenchSpool] = []
        var children: [ChildProcess] = []
        func cleanup() async {
            for child in children { await child.killGroup() }
            for spool in spools { spool.remove() }
            await cluster.stop()
        }
        do {
            let local = try await roundTrip(cluster: nil, spools: &spools, children: &children)
            let remote = try await roundTrip(cluster: cluster, spools: &spools, children: &children)
            print("")
            print("many hosts, \(calls) x run true (milliseconds)       p50      p95      p99")
            print(BenchCommand.row("one host (spool-mcp --workers 1)", local.runs))
            print(BenchCommand.row("on a worker host, through PostgreSQL", remote.runs))
            print(BenchCommand.row("in a session, one host", local.session))
            print(BenchCommand.row("in a session on a worker host", remote.session))
            print(String(format: "  remote p50 above local: %.2f ms; in a session: %.2f ms (target at most 2.5)",
                         BenchCommand.percentile(remote.runs, 50) - BenchCommand.percentile(local.runs, 50),
                         BenchCommand.percentile(remote.session, 50) - BenchCommand.percentile(local.session, 50)))
            let claimToStart = try await cluster.psql("""
                SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2) || ' ' ||
                       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 2)
                FROM (SELECT extract(epoch FROM ((status ->> 'startedAt')::timestamptz - claimed_at)) * 1000 AS ms
                      FROM spool_job WHERE state = 'finished') samples
                """).split(separator: " ")
            if claimToStart.count == 2 {
                print("  claim-to-start (claimed_at in PostgreSQL to startedAt on the worker host): p50 \(claimToStart[0]) ms, p99 \(claimToStart[1]) ms")
            }
            var rates: [Int: Double] = [:]
            for hosts in [1, 2] {
                _ = try await cluster.psql("DELETE FROM spool_job")
                rates[hosts] = try await drain(cluster: cluster, hosts: hosts, spools: &spools, children: &children)
            }
            if let one = rates[1], let two = rates[2] {
                print(String(format: "  2 worker hosts / 1: %.2fx (target at least 1.6)", two / one))
            }
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
    }

    /// With `SPOOL_RELAY_TRACE=1` the relays' trace lines (and every log line of the
    /// frontends and workers) go to one file, named at the start, to read the time between
    /// hosts side by side; otherwise nowhere.
    static let traceFile: String? = ProcessInfo.processInfo.environment["SPOOL_RELAY_TRACE"] == "1"
        ? NSTemporaryDirectory() + "spool-relay-trace-\(getpid()).log" : nil

    private func flags(_ cluster: PostgresCluster, host: String) -> [String] {
        ["--postgres", cluster.url, "--host", host, "--relay-poll", "1"]
    }

    /// `run true` round trips, then `run true` in a session (opened on the worker host
    /// through PostgreSQL, or locally).
    private func roundTrip(cluster: PostgresCluster?, spools: inout [BenchSpool], children: inout [ChildProcess]) async throws -> (runs: [Double], session: [Double]) {
        let a = try BenchSpool()
        spools.append(a)
        var mcpArguments = ["--spool", a.root + "/spool", "--workers", cluster == nil ? "1" : "0"]
        if let cluster {
            let b = try BenchSpool()
            spools.append(b)
            let worker = try ChildProcess(bin + "/spool-worker", ["--spool", b.root + "/spool", "--id", "b-1", "--slots", "1"] + flags(cluster, host: "b"),
                                          stderrPath: Self.traceFile)
            children.append(worker)
            mcpArguments += flags(cluster, host: "a")
        }
        let mcp = try ChildProcess(bin + "/spool-mcp", mcpArguments, pipeStdio: true, stderrPath: Self.traceFile)
        children.append(mcp)
        let client = try RawMCPClient(process: mcp)
        // `run true` with `extra` arguments, `calls` times after `warmUp` untimed ones.
        func timedRuns(_ extra: [String: Any], warmUp: Int) throws -> [Double] {
            let arguments = extra.merging(["command": "true", "wait": 60]) { $1 }
            for _ in 0..<warmUp { _ = try client.callTool("run", arguments) }
            return try (0..<calls).map { _ in
                try BenchCommand.time {
                    let result = try client.callTool("run", arguments)
                    guard (result["structuredContent"] as? [String: Any])?["state"] as? String == "succeeded" else {
                        throw BenchError.protocolError("run true did not succeed: \(result)")
                    }
                }
            }
        }
        let samples = try timedRuns([:], warmUp: 20) // the warm-up includes the relays' start
        let opened = try client.callTool("session_start", [:])
        guard let session = (opened["structuredContent"] as? [String: Any])?["session"] as? String else {
            throw BenchError.protocolError("session_start did not open a session: \(opened)")
        }
        let inSession = try timedRuns(["session": session], warmUp: 5)
        _ = try client.callTool("session_end", ["session": session])
        // This phase's hosts stop here, so none of them claims the next phase's jobs.
        for child in children { await child.killGroup() }
        return (samples, inSession)
    }

    private func drain(cluster: PostgresCluster, hosts: Int, spools: inout [BenchSpool], children: inout [ChildProcess]) async throws -> Double {
        let a = try BenchSpool()
        spools.append(a)
        let mcp = try ChildProcess(bin + "/spool-mcp", ["--spool", a.root + "/spool", "--workers", "0"] + flags(cluster, host: "drain-a\(hosts)"),
                                   pipeStdio: true)
        children.append(mcp)
        let client = try RawMCPClient(process: mcp)
        for _ in 0..<jobs { _ = try client.callTool("start", ["command": "sleep 0.2"]) }
        // All handed to PostgreSQL before any worker host starts.
        let deadline = Date().addingTimeInterval(120)
        while try await cluster.psql("SELECT count(*) FROM spool_job WHERE state = 'queued'") != String(jobs) {
            guard Date() < deadline else { throw BenchError.timeout("handing \(jobs) jobs to PostgreSQL") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let start = Date()
        for index in 0..<hosts {
            let spool = try BenchSpool()
            spools.append(spool)
            children.append(try ChildProcess(bin + "/spool-worker", ["--spool", spool.root + "/spool", "--id", "w\(index)", "--slots", String(slots)]
                                             + flags(cluster, host: "drain\(hosts)-\(index)")))
        }
        let layout = SpoolLayout(root: a.root + "/spool")
        try await layout.drained(to: jobs, within: 600, what: "draining \(jobs) jobs")
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(jobs) / elapsed
        for child in children { await child.killGroup() }
        print(String(format: "  %d x 'sleep 0.2' drained by %d worker host(s) of %d slots: %.2f s = %.1f jobs/s (slot bound %.1f)",
                     jobs, hosts, slots, elapsed, rate, Double(hosts * slots) / 0.2))
        return rate
    }
}
