import Foundation
import ProcessHarness
import Spool

/// `--operations`: what one `run true` costs the file system, counted by `strace -f` over
/// spool-mcp and everything it starts (its worker, the fork server, supervisors, keepers
/// and the command): the calls that create, rename, link or remove a name, and flushes.
/// strace slows every call, so this prints counts, not times. Needs `strace` (Debian:
/// `strace`); says so when it is missing.
struct OperationsBench {
    let bin: String
    let calls: Int

    func run() async throws {
        guard let strace = FileOperationCount.strace else {
            print("\n--operations needs strace (Debian: apt-get install strace); nothing measured")
            return
        }
        try await count(strace: strace, retired: 0)
        try await count(strace: strace, retired: 1000)
    }

    /// Counts in a new spool, or (`retired` > 0) in one where that many jobs were run and
    /// retired first (`SPOOL_RETAIN=1`), so that their inodes wait as spares.
    func count(strace: String, retired: Int) async throws {
        let spool = try BenchSpool()
        defer { spool.remove() }
        if retired > 0 { try await spool.retire(retired, bin: bin) }
        // One file per thread (-ff): no call is split across lines by another thread's.
        let traces = spool.root + "-strace"
        try FileSystem.makeDirectory(traces)
        defer { try? FileManager.default.removeItem(atPath: traces) }
        let mcp = try ChildProcess(strace, FileOperationCount.straceArguments(prefix: traces + "/t")
                                   + [bin + "/spool-mcp", "--spool", spool.root, "--workers", "1"], pipeStdio: true)
        let client = try RawMCPClient(process: mcp)
        for _ in 0..<20 { _ = try client.callTool("run", ["command": "true"]) } // start-up and warm-up
        let before = FileOperationCount(folder: traces)
        for _ in 0..<calls {
            let result = try client.callTool("run", ["command": "true"])
            guard (result["structuredContent"] as? [String: Any])?["state"] as? String == "succeeded" else {
                throw BenchError.protocolError("run true did not succeed: \(result)")
            }
        }
        // Let the deferred flushes and the worker's last writes land, then count.
        try await Task.sleep(for: .seconds(1))
        let counted = FileOperationCount(folder: traces).since(before)
        await mcp.killGroup()
        print("")
        print("file-system operations per run true (\(calls) calls, strace -f over spool-mcp and all it starts), "
              + (retired > 0 ? "in a spool that retired \(retired) jobs (spare inodes)" : "in a new spool"))
        for kind in FileOperationCount.Kind.allCases {
            print(kind.rawValue.padding(toLength: 72, withPad: " ", startingAt: 0) + String(format: "%6.2f", Double(counted[kind]) / Double(calls)))
        }
    }
}
