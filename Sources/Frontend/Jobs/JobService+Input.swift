import Glibc
import Spool

/// `send_input`: writes into a running job's stdin FIFO (`jobs/<id>/stdin`).
extension JobService {
    /// Writes `data` (all of it, waiting up to `timeout` seconds for the command to read),
    /// then, with `eof`, writes the marker on which the job's keeper closes its end of the FIFO.
    func sendInput(_ id: JobID, data: [UInt8], eof: Bool, timeout: Double = 10) throws(ToolError) -> Int {
        let tool = "send_input"
        let snapshot = try snapshotOrThrow(id)
        let path = layout.job(id, .stdin)
        switch snapshot.status.state {
        case .queued:
            throw .refused(tool: tool, reason: "job \(id) has not started yet (position \(snapshot.position ?? 0)); send_input works once it runs: check status or wait, then retry")
        case .running: break
        default:
            throw .refused(tool: tool, reason: "job \(id) has already ended (\(snapshot.status.state.rawValue)); its input is closed")
        }
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFIFO else {
            throw .refused(tool: tool, reason: "job \(id) was not started with stdin: \"pipe\", so it takes no input; start it with stdin: \"pipe\" to drive it")
        }
        if FileSystem.exists(layout.job(id, .stdinEOF)) {
            throw .refused(tool: tool, reason: "the input of job \(id) was already closed with eof")
        }
        var written = 0
        if !data.isEmpty {
            // Non-blocking: ENXIO means nobody reads any more (the command has ended).
            // Never through a symlink, and only into a FIFO: a job may have replaced its own
            // stdin with anything.
            let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else {
                throw .refused(tool: tool, reason: "job \(id) no longer reads its input (\(String(cString: strerror(errno))))")
            }
            defer { close(fd) }
            var opened = stat()
            guard fstat(fd, &opened) == 0, opened.st_mode & S_IFMT == S_IFIFO else {
                throw .refused(tool: tool, reason: "job \(id)'s input (\(path)) is not the FIFO Spool made; nothing was sent")
            }
            let deadline = Timestamp.now.seconds + timeout
            while written < data.count {
                let n = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, data.count - written) }
                if n > 0 { written += n; continue }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == EAGAIN {
                    let left = deadline - Timestamp.now.seconds
                    if left <= 0 { break }
                    var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&poller, 1, Int32(min(left, 1) * 1000))
                    continue
                }
                throw .refused(tool: tool, reason: "job \(id) stopped reading its input after \(written) of \(data.count) bytes (\(String(cString: strerror(errno))))")
            }
        }
        if eof && written == data.count {
            do {
                try AtomicFile.write(Array("eof requested at \(Timestamp.now)\n".utf8), to: layout.job(id, .stdinEOF), layout: layout, durable: false)
            } catch { throw .spool(error) }
            // The job's keeper watches for this marker and lets go of its end of the FIFO.
        }
        return written
    }
}
