import Foundation
import ProcessHarness
import Spool
import Testing

/// What one `run true` costs the file system, counted with strace over spool-mcp and all
/// it starts (issue 28): held to a budget so that it cannot creep back up. Counts, not
/// times: strace slows every call, and speed is for `spool-bench`.
@Suite("File-system budget of a job", .timeLimit(.minutes(3)))
struct OperationBudgetTests {
    /// Per `run true`, at most. Before issue 28 a run cost 5 names created (the request and
    /// both status files in tmp/, the job folder, the request's link), 3 opens that create
    /// (stdout, stderr, the exit record's reserve), 6 renames and 3 flushes.
    static let budget: [FileOperationCount.Kind: Double] = [
        .created: 4,
        .openedCreating: 3,
        .renamed: 5,
        .removed: 0,
        // A run that answers with the outcome promised nothing more (DESIGN.md).
        .flushed: 0,
        .watched: 0,
        .woken: 6,
    ]
    static let calls = 100

    /// How many times each job's status.json was renamed into place (strace lines): by
    /// `rename`, or by `renameat2` with `RENAME_EXCHANGE` where a final status replaces the
    /// running one.
    static func statusWrites(_ lines: [Substring]) -> [String: Int] {
        var writes: [String: Int] = [:]
        for line in lines where (line.hasPrefix("rename(") || line.hasPrefix("renameat2(")) && line.hasSuffix("= 0") {
            guard let target = FileOperationCount.paths(line).last, target.hasSuffix("/" + JobFile.status.rawValue) else { continue }
            writes[URL(fileURLWithPath: target).deletingLastPathComponent().lastPathComponent, default: 0] += 1
        }
        return writes
    }

    @Test("run true stays within its budget of names created, renames, removals, flushes and watches")
    func runTrue() async throws {
        try await withSpool { spool in
            try await Self.measure(in: spool, budget: Self.budget)
        }
    }

    /// With retired jobs' inodes waiting as spares (retention, `SPOOL_RETAIN=1`): no new
    /// name but the request's link in the job folder; renames take the spares instead.
    static let spareBudget: [FileOperationCount.Kind: Double] = [
        .created: 1,
        .openedCreating: 3, // stdout, stderr and the exit record's reserve, which exist now
        .renamed: 8,
        .removed: 0,
        .flushed: 0,
        .watched: 0,
        .woken: 6,
    ]

    @Test("in a spool whose retired jobs left spare inodes, run true makes one new name (the request's link)")
    func runTrueWithSpares() async throws {
        try await withSpool { spool in
            // The jobs first, then their retirement, so that none takes another's spares.
            // More than the runs take, so a job that runs past 20 ms (and writes a running
            // status too) does not leave a later one without spares.
            _ = try await spool.retireIntoSpares(Array(repeating: "true", count: Self.calls + 40))
            try await Self.measure(in: spool, budget: Self.spareBudget)
        }
    }

    /// Runs `calls` × `run true` through a spool-mcp under strace and checks the count of
    /// what they did to their own paths against `budget`.
    static func measure(in spool: TestSpool, budget: [FileOperationCount.Kind: Double]) async throws {
        guard let strace = FileOperationCount.strace else {
            Issue.record("strace is missing: scripts/ensure-dependencies --tests installs it")
            return
        }
        let traces = spool.root + "-strace"
        try FileSystem.makeDirectory(traces)
        defer { try? FileManager.default.removeItem(atPath: traces) }
        spool.launcher = [strace] + FileOperationCount.straceArguments(prefix: traces + "/t")
        let mcp = try await MCPHarness(spool: spool, workers: 1)
        var jobs: Set<String> = []
        for _ in 0..<Self.calls {
            let result = try await mcp.call("run", ["command": "true"])
            #expect(result["state"] == "succeeded")
            if let job = result["job"]?.stringValue { jobs.insert(job) }
        }
        #expect(jobs.count == Self.calls)
        // End of input ends spool-mcp and its worker: every write and flush they were
        // going to make is in the trace once strace (which follows them all) exits.
        await mcp.close()
        mcp.process.endInput()
        #expect(await mcp.process.wait(timeout: 60) != nil, "spool-mcp did not end after its input ended")
        // What the runs did to their own jobs' paths (a name made in tmp/ counts by
        // where it went): the worker's heartbeats and a slow suite's timing stay out.
        let traced = FileOperationCount.lines(in: traces)
        let counted = FileOperationCount(lines: traced) { path in
            path.split(separator: "/").contains { jobs.contains(String($0.prefix(26))) }
        }
        // A job that ran past 20 ms (a loaded machine) writes its running status too: one
        // more file made in tmp/ (or a spare taken) and renamed, which the final status
        // swaps out and removes. Allowed for those jobs alone.
        let runningShown = Self.statusWrites(traced).values.filter { $0 > 1 }.count
        var lines: [String] = []
        for kind in FileOperationCount.Kind.allCases {
            let perRun = Double(counted[kind]) / Double(Self.calls)
            let extra = switch kind {
            case .created: 1.0
            case .renamed: 2.0
            case .removed: 1.0
            case .watched: 1.0
            // Its folder watched for markers from then on: the watch and its removal wake
            // the watcher, and so do the folder's new names (the exit record, the status).
            case .woken: 6.0
            default: 0.0
            }
            let allowed = (budget[kind] ?? 0) + extra * Double(runningShown) / Double(Self.calls)
            lines.append(String(format: "%@: %.2f (budget %.2f)", kind.rawValue, perRun, allowed))
            #expect(perRun <= allowed + 0.001, "\(kind.rawValue): \(perRun) per run true")
        }
        print("operations per run true (\(runningShown) of \(Self.calls) jobs ran past 20 ms):\n  " + lines.joined(separator: "\n  "))
        #expect(runningShown < Self.calls / 2, "most jobs ran past 20 ms: the short path was not measured")
    }
}
