import Dispatch
import Glibc

/// Reads a pipe without holding a thread: Dispatch wakes a handler when bytes arrive
/// (epoll underneath), and the bytes come out as a stream that ends at end of file.
/// The read end is closed when the stream ends.
enum PipeReader {
    static func chunks(_ fd: Int32) -> AsyncStream<[UInt8]> {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    continuation.yield(Array(buffer[0..<n]))
                } else if n < 0 && (errno == EINTR) {
                    continue
                } else if n < 0 && errno == EAGAIN {
                    return
                } else {
                    source.cancel() // end of file (or an error, which ends it too)
                    return
                }
            }
        }
        source.setCancelHandler {
            close(fd)
            continuation.finish()
        }
        let box = SourceBox(source)
        continuation.onTermination = { _ in box.source.cancel() }
        source.resume()
        return stream
    }

    private static let queue = DispatchQueue(label: "spool-worker.pipes")

    /// A dispatch source may be cancelled from any thread (Dispatch synchronizes it).
    private final class SourceBox: @unchecked Sendable {
        let source: any DispatchSourceRead
        init(_ source: any DispatchSourceRead) { self.source = source }
    }
}
