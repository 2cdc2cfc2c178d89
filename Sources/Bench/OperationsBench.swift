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

    /// The system calls counted, by what they do to the file system.
    static let kinds: [(label: String, calls: Set<String>)] = [
        ("names created (mkdir, mknod, link, symlink, open with O_CREAT|O_EXCL)", ["mkdir", "mkdirat", "mknod", "mknodat", "link", "linkat", "symlink", "symlinkat"]),
        ("opens with O_CREAT but not O_EXCL (a name if none was there)", []),
        ("renames", ["rename", "renameat", "renameat2"]),
        ("names removed (unlink, rmdir)", ["unlink", "unlinkat", "rmdir"]),
        ("flushes (fsync, fdatasync, sync_file_range)", ["fsync", "fdatasync", "sync_file_range"]),
        ("inotify watches added", ["inotify_add_watch"]),
    ]

    func run() async throws {
        guard let strace = ["/usr/bin/strace", "/bin/strace"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("\n--operations needs strace (Debian: apt-get install strace); nothing measured")
            return
        }
        let spool = try BenchSpool()
        defer { spool.remove() }
        // One file per thread (-ff): no call is split across lines by another thread's.
        let traces = spool.root + "-strace"
        try FileSystem.makeDirectory(traces)
        defer { try? FileManager.default.removeItem(atPath: traces) }
        let trace = traces + "/t"
        let traced = Set(Self.kinds.flatMap(\.calls)).union(["open", "openat", "creat"]).sorted().joined(separator: ",")
        let mcp = try ChildProcess(strace, ["-ff", "-qq", "-e", "trace=" + traced, "-e", "signal=none", "-o", trace,
                                            bin + "/spool-mcp", "--spool", spool.root, "--workers", "1"], pipeStdio: true)
        let client = try RawMCPClient(process: mcp)
        for _ in 0..<20 { _ = try client.callTool("run", ["command": "true"]) } // start-up and warm-up
        let before = Self.count(traces)
        for _ in 0..<calls {
            let result = try client.callTool("run", ["command": "true"])
            guard (result["structuredContent"] as? [String: Any])?["state"] as? String == "succeeded" else {
                throw BenchError.protocolError("run true did not succeed: \(result)")
            }
        }
        // Let the deferred flushes and the worker's last writes land, then count.
        try await Task.sleep(for: .seconds(1))
        let after = Self.count(traces)
        await mcp.killGroup()
        print("")
        print("file-system operations per run true (\(calls) calls, strace -f over spool-mcp and all it starts)")
        for (label, _) in Self.kinds {
            print(label.padding(toLength: 72, withPad: " ", startingAt: 0) + String(format: "%6.2f", Double((after[label] ?? 0) - (before[label] ?? 0)) / Double(calls)))
        }
    }

    /// Counts by kind label in the per-thread strace files in `folder` so far (successful
    /// calls only).
    static func count(_ folder: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for file in FileSystem.list(folder) {
            let text = (try? String(contentsOfFile: folder + "/" + file, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                // "name(args) = result", the result after the last "= ".
                guard let open = line.firstIndex(of: "("), let equals = line.range(of: "= ", options: .backwards),
                      let result = Int(line[equals.upperBound...].prefix { $0 == "-" || $0.isNumber }), result >= 0 else { continue }
                let name = String(line[..<open])
                if name == "open" || name == "openat" || name == "creat" {
                    guard line.contains("O_CREAT") || name == "creat" else { continue }
                    counts[line.contains("O_EXCL") ? kinds[0].label : kinds[1].label, default: 0] += 1
                    continue
                }
                if let kind = kinds.first(where: { $0.calls.contains(name) }) { counts[kind.label, default: 0] += 1 }
            }
        }
        return counts
    }
}
