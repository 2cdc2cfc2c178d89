import Glibc
import Spool

/// Writes mirrored output into `jobs/<id>/stdout|stderr` at the offsets it has on the
/// worker host, so the local files are byte-identical to the remote ones.
enum OutputFiles {
    /// Empties both files (a new attempt's output starts at 0).
    static func empty(_ id: JobID, layout: SpoolLayout) throws(SpoolError) {
        try FileSystem.makeDirectory(layout.job(id))
        for stream in JobStream.allCases {
            let path = layout.job(id, stream.file)
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
            close(fd)
        }
    }

    /// Writes the part of `chunk` from `local` on (the bytes before it are there
    /// already) and returns the file's new end.
    static func write(_ chunk: OutputChunk, of id: JobID, at local: Int64, layout: SpoolLayout) throws(SpoolError) -> Int64 {
        guard chunk.end > local, chunk.offset <= local else { return local }
        let path = layout.job(id, chunk.stream.file)
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        let skip = Int(local - chunk.offset)
        let bytes = Array(chunk.data[skip...])
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                pwrite(fd, buffer.baseAddress! + written, buffer.count - written, off_t(local) + off_t(written))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "write", path: path, errno: errno)
            }
            written += n
        }
        return local + Int64(written)
    }
}
