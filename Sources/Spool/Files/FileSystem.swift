import Glibc

/// The spool's file operations, on plain POSIX calls: they are on every job's hot path,
/// and Foundation's FileManager adds allocations and error bridging we do not need.
public enum FileSystem {
    /// `mkdir -p` for one folder whose parent exists or is made first.
    public static func makeDirectory(_ path: String) throws(SpoolError) {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        if errno == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectory(String(path[..<slash]))
            if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        }
        throw .io(operation: "creating folder", path: path, errno: errno)
    }

    /// Names in a folder (no `.` and `..`), unsorted; empty when the folder is missing.
    public static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = entryName(entry)
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The name in a record `readdir` returned, read where it lies. A record is only as
    /// long as its name needs (`d_reclen`), not `MemoryLayout<dirent>.size`: copying the
    /// whole struct (`entry.pointee`) reads past the last record of readdir's buffer, which
    /// crashed spool-mcp when that record ended where its memory did.
    static func entryName(_ entry: UnsafePointer<dirent>) -> String {
        let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        return String(cString: (UnsafeRawPointer(entry) + offset).assumingMemoryBound(to: CChar.self))
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// File kind as `lstat` sees it: a symlink is reported as such, never followed.
    public static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Empties a regular file (not following a symlink); false when `path` is anything else
    /// or cannot be emptied.
    ///
    /// Why not `truncate(2)`: ext4 marks a file truncated to empty and, at the next last
    /// close after that, writes the file's new data to the disk at once (`auto_da_alloc`, for
    /// programs that rewrite a file in place). A spare emptied by `truncate` was therefore
    /// flushed when the next job closed it. Emptied through a descriptor, the mark is
    /// cleared again at this close, when there is nothing yet to write.
    public static func empty(_ path: String) -> Bool {
        guard isRegularFile(path) else { return false }
        let fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Size in bytes, or nil when the file does not exist.
    public static func size(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// Which of an entry's times `age` counts from.
    public enum Moment: Sendable {
        /// Its content was last written.
        case modification
        /// Its inode last changed: written, renamed, linked, its mode changed.
        case change
    }

    /// Seconds since the file was last modified (or, with `.change`, since its inode changed).
    public static func age(_ path: String, since moment: Moment = .modification) -> Double? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        let time = moment == .modification ? info.st_mtim : info.st_ctim
        return Timestamp.now.seconds - (Double(time.tv_sec) + Double(time.tv_nsec) / 1e9)
    }

    /// Reads a whole (small) file; nil when it does not exist. A file over `limit` bytes
    /// throws `fileTooLarge` instead of being cut short (a cut JSON file would be reported
    /// as corrupt, which is not the truth).
    public static func read(_ path: String, limit: Int = 16 << 20) throws(SpoolError) -> [UInt8]? {
        guard let (fd, size) = try openRegularSized(path) else { return nil }
        defer { close(fd) }
        if size > Int64(limit) { throw .fileTooLarge(path: path, size: size, limit: limit) }
        let bytes = try readAll(fd: fd, path: path, from: 0, limit: limit + 1, size: size)
        // It grew while being read: still too large.
        if bytes.count > limit { throw .fileTooLarge(path: path, size: Int64(bytes.count), limit: limit) }
        return bytes
    }

    /// Reads up to `limit` bytes starting at `offset`.
    public static func read(_ path: String, offset: Int64, limit: Int) throws(SpoolError) -> [UInt8]? {
        guard let (fd, size) = try openRegularSized(path) else { return nil }
        defer { close(fd) }
        return try readAll(fd: fd, path: path, from: offset, limit: limit, size: size)
    }

    /// What a symbolic link points to (`readlink`), or nil when `path` is none.
    public static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Opens a spool file for reading, or nil when it is missing. Anything in the spool may
    /// have been put there by a job running as the same user, so the open never follows a
    /// symlink and never waits (a FIFO opened for reading blocks until a writer comes, which
    /// froze spool-mcp's threads), and what is not a regular file is refused.
    public static func openRegular(_ path: String) throws(SpoolError) -> Int32? {
        try openRegularSized(path)?.fd
    }

    /// `openRegular`, with the file's size when it was opened.
    static func openRegularSized(_ path: String) throws(SpoolError) -> (fd: Int32, size: Int64)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT { return nil }
            if errno == ELOOP { throw .notRegularFile(path: path, kind: "a symbolic link") }
            throw .io(operation: "opening", path: path, errno: errno)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw .io(operation: "inspecting", path: path, errno: code)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw .notRegularFile(path: path, kind: "a " + FileKind(mode: info.st_mode).rawValue)
        }
        return (fd, Int64(info.st_size))
    }

    /// Reads from `offset` until the end of the file or `limit` bytes. The first read asks
    /// for what the file held when opened (`size`) and one byte more: a file that did not
    /// grow meanwhile takes one pread(2) (a short read of a regular file is its end), into
    /// a buffer of its own size rather than a cleared 64 KiB one.
    private static func readAll(fd: Int32, path: String, from offset: Int64, limit: Int, size: Int64) throws(SpoolError) -> [UInt8] {
        var result: [UInt8] = []
        var position = offset
        var want = Int(min(Int64(limit), max(0, size - offset) + 1))
        while result.count < limit {
            let chunk = min(want, limit - result.count)
            var n = 0
            var failure: Int32 = 0
            // Read straight into uninitialised memory: nothing is cleared first.
            let piece = [UInt8](unsafeUninitializedCapacity: chunk) { buffer, initialized in
                n = pread(fd, buffer.baseAddress, chunk, off_t(position))
                failure = n < 0 ? errno : 0
                initialized = max(n, 0)
            }
            if n < 0 {
                if failure == EINTR { continue }
                throw .io(operation: "reading", path: path, errno: failure)
            }
            if result.isEmpty { result = piece } else { result += piece }
            if n < chunk { break } // its end (0: at the end already)
            position += Int64(n)
            want = 65536 // it grew since it was opened
        }
        return result
    }

    /// `rename(2)`: returns false when the source is gone (someone else won the race).
    public static func rename(_ from: String, to: String) throws(SpoolError) -> Bool {
        if Glibc.rename(from, to) == 0 { return true }
        if errno == ENOENT && !exists(from) { return false }
        throw .io(operation: "renaming \(from) to", path: to, errno: errno)
    }

    public static func remove(_ path: String) {
        unlink(path)
    }

    /// Removes a file, or a folder and everything below it.
    public static func removeEntry(_ path: String) {
        if isDirectory(path) { removeTree(path) } else { unlink(path) }
    }

    /// Removes a folder and everything below it (job folders hold only plain files).
    public static func removeTree(_ path: String) {
        for name in list(path) { removeEntry(path + "/" + name) }
        rmdir(path)
    }

    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    public static func write(fd: Int32, _ bytes: some Collection<UInt8>, path: String) throws(SpoolError) {
        let array = Array(bytes)
        var offset = 0
        while offset < array.count {
            let n = array.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, array.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "writing", path: path, errno: errno)
            }
            offset += n
        }
    }
}
