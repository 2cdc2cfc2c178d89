import Foundation
import ProcessHarness
import Spool

extension BenchSpool {
    /// Runs `count` × `start true` through the spool-mcp in `bin` (8 in flight, its default
    /// workers) with `--retain 1`, and returns once its retention has retired them all (in
    /// its batches), as a spool in use retires jobs: with the spare inodes that leaves, or
    /// (an earlier build) the freed ones.
    func retire(_ count: Int, bin: String) async throws {
        let mcp = try ChildProcess(bin + "/spool-mcp", ["--spool", root], environment: ["SPOOL_RETAIN": "1"], pipeStdio: true)
        _ = try RawMCPClient(process: mcp).pipelined("start", ["command": "true"], count: count, inFlight: 8) { _ in }
        let layout = SpoolLayout(root: root)
        let deadline = Date().addingTimeInterval(600)
        // Retired: nothing queued, running or left in done/.
        while !(FileSystem.list(layout.done).isEmpty && FileSystem.list(layout.queue(.async)).isEmpty
                && FileSystem.list(layout.active).allSatisfy { FileSystem.list(layout.active + "/" + $0).isEmpty }) {
            guard Date() < deadline else { throw BenchError.timeout("retiring \(count) jobs") }
            try await Task.sleep(for: .milliseconds(100))
        }
        await mcp.killGroup()
    }
}
