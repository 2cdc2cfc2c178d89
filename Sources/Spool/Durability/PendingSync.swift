import Glibc

/// A file already renamed into place but not yet fsync'ed: the flush it still owes.
///
/// It keeps the file's descriptor open, so the flush reaches the file wherever it has
/// moved since (a worker may have claimed a request before its flush). The descriptor is
/// closed when the last copy is gone.
public struct PendingSync: Sendable {
    let file: OwnedDescriptor
    /// Where the file was put.
    public let path: String
    /// Folders whose entries must reach the disk with it (where it was renamed to, first).
    public private(set) var directories: [String]

    init(file: OwnedDescriptor, path: String, directory: String) {
        self.init(file: file, path: path, directories: [directory])
    }

    /// A file whose name is on disk already (an append) needs no folder flush.
    init(file: OwnedDescriptor, path: String, directories: [String]) {
        self.file = file
        self.path = path
        self.directories = directories
    }

    /// The flush owed by a file that is already in place (written without one by another
    /// process), and by the entries of `directories`; nil when the file is not there.
    public static func existing(_ path: String, directories: [String]) throws(SpoolError) -> PendingSync? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .io(operation: "opening to flush", path: path, errno: errno)
        }
        return PendingSync(file: OwnedDescriptor(fd), path: path, directories: directories)
    }

    /// The same flush, also covering the entries of `directory` (where the file moved next).
    public func adding(directory: String) -> PendingSync {
        var copy = self
        if !copy.directories.contains(directory) { copy.directories.append(directory) }
        return copy
    }
}

/// Closes its descriptor when released.
final class OwnedDescriptor: Sendable {
    let fd: Int32

    init(_ fd: Int32) {
        self.fd = fd
    }

    deinit { close(fd) }
}
