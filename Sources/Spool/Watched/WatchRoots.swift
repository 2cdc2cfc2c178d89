import Glibc

/// The folders an agent may read and follow (`--watch`), as real paths.
///
/// A path is allowed only when its real path, with every symlink resolved, lies inside a
/// root, compared component by component (a root `/srv/app` does not admit
/// `/srv/app-secrets`). Files are opened and then checked again through the open
/// descriptor, so a symlink swapped in between the check and the open cannot lead out.
public struct WatchRoots: Sendable, Equatable {
    /// Real paths, without trailing slashes, in the order given.
    public let paths: [String]

    public var isEmpty: Bool { paths.isEmpty }

    /// No roots: nothing may be read (spool-mcp without `--watch`).
    public static let none = WatchRoots(paths: [])

    private init(paths: [String]) {
        self.paths = paths
    }

    /// - Throws: `badRoot` for a folder that does not exist or is not a folder.
    public init(_ given: [String], workingDirectory: String) throws(WatchedPathError) {
        var paths: [String] = []
        for item in given where !item.isEmpty {
            let absolute = item.hasPrefix("/") ? item : workingDirectory + "/" + item
            guard let real = Self.realPath(absolute) else {
                throw .badRoot(path: item, reason: "\(String(cString: strerror(errno))) (give an existing folder)")
            }
            guard FileKind.of(real) == .directory else { throw .badRoot(path: item, reason: "it is not a folder") }
            if !paths.contains(real) { paths.append(real) }
        }
        self.paths = paths
    }

    /// Whether `realPath` (already resolved) is a root or inside one.
    public func contains(realPath: String) -> Bool {
        root(of: realPath) != nil
    }

    /// The root holding `realPath`, if any.
    public func root(of realPath: String) -> String? {
        paths.first { Self.isInside(realPath, folder: $0) }
    }

    /// Whether `path` is `folder` or inside it, compared folder by folder, never as a string
    /// prefix (`/srv/app-secrets` is not inside `/srv/app`).
    public static func isInside(_ path: String, folder: String) -> Bool {
        let (have, top) = (components(path), components(folder))
        return have.count >= top.count && Array(have.prefix(top.count)) == top
    }

    /// The real path of an agent's `path`: absolute, or relative to the first root.
    /// - Throws: `noRoots`, `invalid`, `notFound` or `outsideRoots`.
    public func resolve(_ path: String) throws(WatchedPathError) -> String {
        guard let first = paths.first else { throw .noRoots }
        guard !path.isEmpty else { throw .invalid(path: path, reason: "it is empty") }
        guard path.utf8.count <= 4096 else { throw .invalid(path: path, reason: "it is longer than 4096 bytes") }
        guard !path.utf8.contains(0) else { throw .invalid(path: path, reason: "it holds a NUL byte") }
        let absolute = path.hasPrefix("/") ? path : first + "/" + path
        guard let real = Self.realPath(absolute) else {
            let code = errno
            // A missing file outside the roots is "outside", not "missing": whether a file
            // exists out there is not for an agent to learn.
            if let existing = deepestExisting(absolute), !contains(realPath: existing) {
                throw .outsideRoots(path: path, realPath: existing, roots: paths)
            }
            if code == ENOENT || code == ENOTDIR { throw .notFound(path: path) }
            throw .unreadable(path: path, errno: code)
        }
        guard contains(realPath: real) else { throw .outsideRoots(path: path, realPath: real, roots: paths) }
        return real
    }

    /// The real path of the longest leading part of `absolute` that exists, with `..`
    /// after it applied as the kernel would (so `root/missing/../../x` is outside).
    private func deepestExisting(_ absolute: String) -> String? {
        var parts = absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var rest: [String] = []
        while true {
            if let real = Self.realPath("/" + parts.joined(separator: "/")) {
                var resolved = Self.components(real).map(String.init)
                for part in rest.reversed() {
                    if part == ".." { if !resolved.isEmpty { resolved.removeLast() } } else if part != "." { resolved.append(part) }
                }
                return "/" + resolved.joined(separator: "/")
            }
            guard let last = parts.popLast() else { return nil }
            rest.append(last)
        }
    }

    /// Like `resolve`, but a file that does not exist yet is allowed when its folder is
    /// inside a root: following may start before a log is first written.
    public func resolveForFollowing(_ path: String) throws(WatchedPathError) -> String {
        do {
            return try resolve(path)
        } catch .notFound {
            let parts = path.split(separator: "/", omittingEmptySubsequences: true)
            guard let name = parts.last, name != ".", name != ".." else { throw .notFound(path: path) }
            let folder = (path.hasPrefix("/") ? "/" : "") + parts.dropLast().joined(separator: "/")
            let real = try resolve(folder.isEmpty ? "." : folder)
            guard FileKind.of(real) == .directory else { throw .notFound(path: path) }
            return real == "/" ? "/" + name : real + "/" + name
        }
    }

    /// Opens a regular file inside a root for reading.
    /// - Throws: everything `resolve` throws, `notRegularFile` for folders, FIFOs, devices
    ///   and sockets, `unreadable` when it cannot be opened.
    public func open(_ path: String) throws(WatchedPathError) -> WatchedFile {
        let real = try resolve(path)
        // Refused before opening: opening a FIFO or a device can block or have effects.
        let kind = FileKind.of(real)
        guard kind == .regular else { throw .notRegularFile(path: path, kind: kind.rawValue) }
        // O_NONBLOCK: should a FIFO be swapped in after the check, the open does not hang.
        let fd = Glibc.open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw .notFound(path: path) }
            throw .unreadable(path: path, errno: errno)
        }
        let file = WatchedFile(descriptor: fd, path: path, realPath: real)
        // What was opened is checked, not what the name pointed to a moment earlier.
        guard let opened = Self.realPath("/proc/self/fd/\(fd)"), contains(realPath: opened) else {
            throw .outsideRoots(path: path, realPath: real, roots: paths)
        }
        guard file.identity?.isRegular == true else { throw .notRegularFile(path: path, kind: "file that changed while it was opened") }
        return file
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = Glibc.realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func components(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}

/// What kind of file a path names (without following a final symlink).
public enum FileKind: String, Sendable {
    case regular = "regular file"
    case directory = "folder"
    case fifo = "FIFO"
    case device = "device"
    case socket = "socket"
    case symlink = "symlink"
    case missing = "missing file"

    public static func of(_ path: String) -> FileKind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        return FileKind(mode: info.st_mode)
    }

    public init(mode: mode_t) {
        self = switch mode & S_IFMT {
        case S_IFREG: .regular
        case S_IFDIR: .directory
        case S_IFIFO: .fifo
        case S_IFCHR, S_IFBLK: .device
        case S_IFSOCK: .socket
        default: .symlink
        }
    }
}

