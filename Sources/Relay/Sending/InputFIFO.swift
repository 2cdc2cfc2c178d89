import Foundation
import Glibc
import Spool

/// The origin host's end of a relayed job's input: `jobs/<id>/stdin` is a FIFO here too,
/// so `send_input` works unchanged, and what it writes is read here and handed on.
/// The relay holds a write end of its own, so a read blocks until data comes instead of
/// seeing end-of-file between two `send_input` calls; `close()` releases it, and the
/// reading thread ends once it has drained what was written.
final class InputFIFO: @unchecked Sendable {
    let path: String
    private let readEnd: Int32
    private let keepOpen: Int32
    private let lock = NSLock()
    private var closed = false
    private var eof = false

    /// Whether the close came from `send_input`'s `eof` (not from the job's end).
    var eofRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return eof
    }

    init(path: String) throws(SpoolError) {
        self.path = path
        if mkfifo(path, 0o600) != 0 && errno != EEXIST { throw .io(operation: "mkfifo", path: path, errno: errno) }
        readEnd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard readEnd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        keepOpen = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard keepOpen >= 0 else {
            let code = errno
            Glibc.close(readEnd)
            throw .io(operation: "open", path: path, errno: code)
        }
        // Blocking reads from here on (the thread waits for data).
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) & ~O_NONBLOCK)
    }

    /// Reads on a thread of its own until `close()`, handing each piece to `deliver`, and
    /// `finished` once everything written before the close was read.
    func start(deliver: @escaping @Sendable ([UInt8]) -> Void, finished: @escaping @Sendable () -> Void) {
        let fd = readEnd
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n > 0 { deliver(Array(buffer[0..<n])); continue }
                if n < 0 && errno == EINTR { continue }
                break
            }
            Glibc.close(fd)
            finished()
        }
        thread.name = "spool-input"
        thread.start()
    }

    /// No more input will be written: the reading thread drains the FIFO and ends.
    func close(eof requested: Bool) {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        eof = requested
        Glibc.close(keepOpen)
    }
}
