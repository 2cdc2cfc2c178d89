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
        .watched: 1,
    ]
    static let calls = 100

    @Test("run true stays within its budget of names created, renames, removals, flushes and watches")
    func runTrue() async throws {
        guard let strace = ["/usr/bin/strace", "/bin/strace"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("strace is missing: scripts/ensure-dependencies --tests installs it")
            return
        }
        try await withSpool { spool in
            let traces = spool.root + "-strace"
            try FileSystem.makeDirectory(traces)
            defer { try? FileManager.default.removeItem(atPath: traces) }
            spool.launcher = [strace] + FileOperationCount.straceArguments(prefix: traces + "/t")
            let mcp = try await MCPHarness(spool: spool, workers: 1)
            for _ in 0..<10 { _ = try await mcp.call("run", ["command": "true"]) } // start-up
            let before = FileOperationCount(folder: traces)
            for _ in 0..<Self.calls {
                let result = try await mcp.call("run", ["command": "true"])
                #expect(result["state"] == "succeeded")
            }
            // End of input ends spool-mcp and its worker: every write and flush they were
            // going to make is in the trace once strace (which follows them all) exits.
            await mcp.close()
            mcp.process.endInput()
            #expect(await mcp.process.wait(timeout: 60) != nil, "spool-mcp did not end after its input ended")
            let counted = FileOperationCount(folder: traces).since(before)
            var lines: [String] = []
            for kind in FileOperationCount.Kind.allCases {
                let perRun = Double(counted[kind]) / Double(Self.calls)
                lines.append(String(format: "%@: %.2f (budget %.0f)", kind.rawValue, perRun, Self.budget[kind] ?? 0))
                // Slack for what a whole process does once (start-up, the worker's shutdown).
                #expect(perRun <= (Self.budget[kind] ?? 0) + 0.1, "\(kind.rawValue): \(perRun) per run true")
            }
            print("operations per run true:\n  " + lines.joined(separator: "\n  "))
        }
    }
}
