import Glibc

/// Why a path given for `--watch`, `--backup`, `file_tail`, `file_read` or a
/// `spool://files/` resource cannot be used, with what to do instead.
public enum WatchedPathError: Error, Sendable, Equatable, CustomStringConvertible {
    /// spool-mcp was started without `--watch`.
    case noRoots
    /// Empty, too long, or holding a NUL byte.
    case invalid(path: String, reason: String)
    case notFound(path: String)
    /// Its real path (symlinks resolved) is not inside any root.
    case outsideRoots(path: String, realPath: String, roots: [String])
    /// A folder, FIFO, device or socket where a regular file was expected.
    case notRegularFile(path: String, kind: String)
    case unreadable(path: String, errno: Int32)
    /// A `--watch` or `--backup` folder that cannot serve as a root.
    case badRoot(path: String, reason: String)

    public var description: String {
        switch self {
        case .noRoots:
            return "no watched folders: start spool-mcp with --watch DIR (or SPOOL_WATCH) to read and follow files"
        case .invalid(let path, let reason):
            return "'\(Self.shown(path))' is not a usable path: \(reason)"
        case .notFound(let path):
            return "\(Self.shown(path)) does not exist (it may have been removed or rotated away; list the folder with a job to see what is there)"
        case .outsideRoots(let path, let real, let roots):
            let via = real == path ? "" : " (its real path is \(Self.shown(real)))"
            return "\(Self.shown(path)) is outside the watched folders\(via): only files under \(roots.joined(separator: ", ")) may be read; start spool-mcp with --watch for another folder"
        case .notRegularFile(let path, let kind):
            return "\(Self.shown(path)) is a \(kind), not a regular file: only regular files can be read and followed"
        case .unreadable(let path, let code):
            return "cannot read \(Self.shown(path)): \(String(cString: strerror(code)))"
        case .badRoot(let path, let reason):
            return "cannot watch \(Self.shown(path)): \(reason)"
        }
    }

    private static func shown(_ path: String) -> String {
        path.utf8.count > 300 ? String(path.prefix(300)) + "…" : path
    }
}
