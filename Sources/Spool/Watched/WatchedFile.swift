import Glibc

/// An open regular file inside a watch root. Reads go through the descriptor, so a file
/// renamed away (log rotation) is still read to its end.
public final class WatchedFile: @unchecked Sendable {
    // @unchecked: the descriptor is only read with pread, which has no shared offset.
    public let descriptor: Int32
    /// The path as the agent gave it, and its real path when opened.
    public let path: String
    public let realPath: String

    init(descriptor: Int32, path: String, realPath: String) {
        self.descriptor = descriptor
        self.path = path
        self.realPath = realPath
    }

    deinit { close(descriptor) }

    /// The open file's inode and size now (nil only if fstat fails).
    public var identity: FileIdentity? { FileIdentity(descriptor: descriptor) }

    /// Up to `limit` bytes from `offset`.
    public func read(offset: Int64, limit: Int) throws(WatchedPathError) -> [UInt8] {
        var result: [UInt8] = []
        var position = offset
        var chunk = [UInt8](repeating: 0, count: min(max(limit, 1), 65536))
        while result.count < limit {
            let want = min(chunk.count, limit - result.count)
            let n = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, want, off_t(position)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, errno: errno)
            }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
            position += Int64(n)
        }
        return result
    }
}

/// A file's inode and size: what following needs to tell an append from a rotation or a
/// truncation.
public struct FileIdentity: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var isRegular: Bool

    public init(device: UInt64, inode: UInt64, size: Int64, isRegular: Bool = true) {
        self.device = device
        self.inode = inode
        self.size = size
        self.isRegular = isRegular
    }

    init(_ info: stat) {
        self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                  isRegular: info.st_mode & S_IFMT == S_IFREG)
    }

    public init?(descriptor: Int32) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        self.init(info)
    }

    /// The file a path names now (following symlinks), or nil when there is none.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    public func isSameFile(as other: FileIdentity) -> Bool { device == other.device && inode == other.inode }
}
