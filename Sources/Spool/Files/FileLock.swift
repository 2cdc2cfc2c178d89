import Glibc

/// An exclusive `flock` held on an open file. The kernel drops it when the holder dies,
/// however it dies, so "is the lock held?" is the liveness test for workers and jobs:
/// ask the lock, not a clock.
public final class FileLock: Sendable {
    public let path: String
    public let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Takes the lock without waiting; nil when another process holds it.
    /// - Parameter create: create `path` as an empty file if missing; false to lock an
    ///   existing file or folder (a job locks its own folder: one file fewer per job).
    public static func tryAcquire(_ path: String, create: Bool = true) throws(SpoolError) -> FileLock? {
        while true {
            let fd = create ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { throw .io(operation: "opening lock", path: path, errno: errno) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                close(fd)
                if code == EWOULDBLOCK { return nil }
                throw .io(operation: "locking", path: path, errno: code)
            }
            // Someone may have removed the file between our open and flock (see
            // `removeIfFree`); a lock on an unlinked file protects nothing, so try again.
            var held = stat(), current = stat()
            if fstat(fd, &held) == 0, stat(path, &current) == 0, held.st_ino == current.st_ino, held.st_dev == current.st_dev {
                return FileLock(path: path, descriptor: fd)
            }
            close(fd)
            if !create { return nil }
        }
    }

    /// Deletes a lock file nobody holds. It is unlinked while we hold it, so a process
    /// that opened it just before notices (inode check above) instead of believing it
    /// holds a live lock.
    public static func removeIfFree(_ path: String) {
        // Cannot lock it: someone holds it, or it cannot be opened; either way it stays.
        guard FileSystem.exists(path), let lock = try? tryAcquire(path, create: false) else { return }
        unlink(path)
        withExtendedLifetime(lock) {}
    }

    /// True when some live process holds the lock at `path`.
    public static func isHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    deinit { close(descriptor) }
}
