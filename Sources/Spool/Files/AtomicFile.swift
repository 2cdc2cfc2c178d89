import CSpoolFiles
import Glibc
import Synchronization

/// The one way a file appears in the spool: written in `tmp/`, fsync'ed, renamed into
/// place, and the target folder fsync'ed. Readers therefore never see half a file, and a
/// crash leaves either the old file or the new one, never a torn one.
public enum AtomicFile {
    private static let counter = Atomic<UInt64>(0)

    /// Writes `bytes` to `path` atomically.
    /// - Parameters:
    ///   - durable: false skips both fsyncs; use it only for files whose loss in a power
    ///     cut is harmless (they are rewritten or recovered), such as the running status.
    ///   - replacing: `path` is most likely there already (a record rewritten in place,
    ///     such as a worker's heartbeat); see `place`.
    public static func write(
        _ bytes: some Collection<UInt8>, to path: String, layout: SpoolLayout, durable: Bool = true, replacing: Bool = false
    ) throws(SpoolError) {
        _ = try place(bytes, at: path, layout: layout, sync: durable, replacing: replacing) // closed as it is released
        if durable, let slash = path.lastIndex(of: "/") {
            FileSystem.syncDirectory(String(path[..<slash]))
        }
    }

    /// Writes `bytes` to `path` atomically but without fsync, and returns the flush it
    /// still owes: a process crash loses nothing (the page cache keeps the file), and the
    /// caller flushes (`GroupCommitter`) before it promises anything that survives a power cut.
    /// - Parameter replacing: `path` is most likely there already (a running status that
    ///   the final one replaces); see `place`.
    public static func writeDeferred(
        _ bytes: some Collection<UInt8>, to path: String, layout: SpoolLayout, replacing: Bool = false
    ) throws(SpoolError) -> PendingSync {
        let file = try place(bytes, at: path, layout: layout, sync: false, replacing: replacing)
        let slash = path.lastIndex(of: "/") ?? path.startIndex
        return PendingSync(file: file, path: path, directory: slash == path.startIndex ? "." : String(path[..<slash]))
    }

    /// Writes `bytes` into a new (or spare) file in `tmp/` (fsync'ed when `sync`), renames
    /// it to `path`, and returns the file, still open.
    ///
    /// - Parameter replacing: swap the new file with the one at `path` (`RENAME_EXCHANGE`)
    ///   and remove the old one, rather than rename over it: ext4 writes a file renamed over
    ///   another to the disk at once (`auto_da_alloc`, for programs that replace a file
    ///   without `fsync`), a flush no promise needs. Readers see the same: the old file or
    ///   the new one. Without a file at `path` (or where exchange is unsupported) it renames.
    private static func place(
        _ bytes: some Collection<UInt8>, at path: String, layout: SpoolLayout, sync: Bool, replacing: Bool = false
    ) throws(SpoolError) -> OwnedDescriptor {
        let n = counter.add(1, ordering: .relaxed).newValue
        let temp = "\(layout.tmp)/\(getpid())-\(n).tmp"
        // A retired job's inode when there is one (SpareInodes: a new inode costs far more
        // than this whole write on a long-used disk); renamed to `temp`, it is ours alone.
        var fd: Int32 = -1
        if SpareInodes.takeFile(as: temp, layout: layout) {
            // Only a regular file is used: anything else dropped among the spares (a symlink,
            // a FIFO) is removed, not followed or waited on.
            // Not O_TRUNC: a spare is empty already, and ext4 writes a file truncated to
            // empty back at its close (FileSystem.empty says why), which is a flush that no
            // promise needs; one found not empty is emptied here, and then flushed so.
            fd = open(temp, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            var info = stat()
            if fd < 0 || fstat(fd, &info) != 0 || (info.st_mode & S_IFMT) != S_IFREG || (info.st_size > 0 && ftruncate(fd, 0) != 0) {
                if fd >= 0 { close(fd) }
                fd = -1
                unlink(temp)
            }
        }
        if fd < 0 { fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw .io(operation: "creating", path: temp, errno: errno) }
        let file = OwnedDescriptor(fd)
        do throws(SpoolError) {
            try FileSystem.write(fd: fd, bytes, path: temp)
            if sync && fsync(fd) != 0 { throw SpoolError.io(operation: "syncing", path: temp, errno: errno) }
        } catch {
            unlink(temp)
            throw error
        }
        if replacing && spool_rename_exchange(temp, path) == 0 {
            FileSystem.removeEntry(temp) // the old file, now at the temporary name
            return file
        }
        guard Glibc.rename(temp, path) == 0 else {
            let code = errno
            unlink(temp)
            throw .io(operation: "renaming into place", path: path, errno: code)
        }
        return file
    }

    public static func write<T: Encodable>(
        json value: T, to path: String, layout: SpoolLayout, durable: Bool = true, replacing: Bool = false
    ) throws(SpoolError) {
        try write(SpoolJSON.encode(value), to: path, layout: layout, durable: durable, replacing: replacing)
    }
}
