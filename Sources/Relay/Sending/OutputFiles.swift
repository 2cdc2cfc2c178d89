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
        guard lseek(fd, off_t(local), SEEK_SET) >= 0 else { throw .io(operation: "seek", path: path, errno: errno) }
        try FileSystem.write(fd: fd, chunk.data[skip...], path: path)
        return chunk.end
    }
}
