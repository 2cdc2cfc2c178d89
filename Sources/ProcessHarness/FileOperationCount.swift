import Foundation

/// Counts the file-system operations in `strace -ff` output by what they do to the spool:
/// names created, renamed, removed, flushes, inotify watches and the wake-ups they cause. Shared by
/// `spool-bench --operations` (which prints them) and the test that holds `run true` to
/// its budget of them.
public struct FileOperationCount: Equatable, Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        case created = "names created (mkdir, mknod, link, symlink, open with O_CREAT|O_EXCL)"
        case openedCreating = "opens with O_CREAT but not O_EXCL (a name if none was there)"
        case renamed = "renames"
        case removed = "names removed (unlink, rmdir)"
        case flushed = "flushes (fsync, fdatasync, sync_file_range)"
        case watched = "inotify watches added"
        /// libinotifytools selects before each read of events: one per wake-up of a
        /// process's watcher thread (spool-mcp's and the worker's), whatever woke it.
        case woken = "inotify wake-ups (selects before reading events)"

        var calls: Set<String> {
            switch self {
            case .created: ["mkdir", "mkdirat", "mknod", "mknodat", "link", "linkat", "symlink", "symlinkat"]
            case .openedCreating: []
            case .renamed: ["rename", "renameat", "renameat2"]
            case .removed: ["unlink", "unlinkat", "rmdir"]
            case .flushed: ["fsync", "fdatasync", "sync_file_range"]
            case .watched: ["inotify_add_watch"]
            case .woken: ["pselect6", "select"]
            }
        }
    }

    public var counts: [Kind: Int] = [:]

    public init() {}

    public subscript(_ kind: Kind) -> Int { counts[kind] ?? 0 }

    /// strace, where Debian puts it; nil when it is not installed.
    public static var strace: String? {
        ["/usr/bin/strace", "/bin/strace"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// strace's `-e trace=` list for these counts.
    public static let traced = Set(Kind.allCases.flatMap(\.calls)).union(["open", "openat", "creat"]).sorted().joined(separator: ",")

    /// strace's arguments that write one file per thread (`-ff`, so no call is split
    /// across lines by another thread's) under `prefix`.
    public static func straceArguments(prefix: String) -> [String] {
        ["-ff", "-qq", "-e", "trace=" + traced, "-e", "signal=none", "-o", prefix]
    }

    /// The successful calls in every per-thread file in `folder` so far.
    /// - Parameter concerning: when given, only calls on a path for which it is true count
    ///   (a file made in `tmp/` counts by where it was renamed to); flushes and wake-ups, which name no
    ///   path, always count. Leaves out what a process does on its own schedule (a
    ///   worker's heartbeat), which a slow run would otherwise charge to its jobs.
    public init(folder: String, concerning: ((String) -> Bool)? = nil) {
        self.init(lines: Self.lines(in: folder), concerning: concerning)
    }

    /// Every line of every per-thread file in `folder`.
    public static func lines(in folder: String) -> [Substring] {
        var lines: [Substring] = []
        for file in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            let text = (try? String(contentsOfFile: folder + "/" + file, encoding: .utf8)) ?? ""
            lines += text.split(separator: "\n")
        }
        return lines
    }

    /// The successful calls among `lines` (read once with `lines(in:)`).
    public init(lines: [Substring], concerning: ((String) -> Bool)? = nil) {
        guard let concerning else {
            for line in lines { add(line) }
            return
        }
        // Where each file made in tmp/ went.
        var renamedTo: [String: String] = [:]
        for line in lines where line.hasPrefix("rename") {
            let paths = Self.paths(line)
            if paths.count == 2 { renamedTo[paths[0]] = paths[1] }
        }
        for line in lines {
            let paths = Self.paths(line)
            if paths.isEmpty || paths.contains(where: { concerning(renamedTo[$0] ?? $0) }) { add(line) }
        }
    }

    /// The quoted paths of a line.
    public static func paths(_ line: Substring) -> [String] {
        line.split(separator: "\"", omittingEmptySubsequences: false).enumerated().compactMap { $0.offset % 2 == 1 ? String($0.element) : nil }
    }

    /// One line of strace: "name(args) = result", the result after the last "= ".
    mutating func add(_ line: Substring) {
        guard let open = line.firstIndex(of: "("), let equals = line.range(of: "= ", options: .backwards),
              let result = Int(line[equals.upperBound...].prefix { $0 == "-" || $0.isNumber }), result >= 0 else { return }
        let name = String(line[..<open])
        if name == "open" || name == "openat" || name == "creat" {
            guard line.contains("O_CREAT") || name == "creat" else { return }
            counts[line.contains("O_EXCL") ? .created : .openedCreating, default: 0] += 1
            return
        }
        if let kind = Kind.allCases.first(where: { $0.calls.contains(name) }) { counts[kind, default: 0] += 1 }
    }

    /// What was counted after `earlier`.
    public func since(_ earlier: FileOperationCount) -> FileOperationCount {
        var difference = FileOperationCount()
        for kind in Kind.allCases { difference.counts[kind] = self[kind] - earlier[kind] }
        return difference
    }
}
