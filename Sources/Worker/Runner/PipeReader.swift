import Foundation
import Glibc

/// Reads a pipe until end of file, as a stream of chunks, with a blocking read(2) on a
/// thread of its own; the read end is closed at the end.
///
/// Not a Dispatch read source: creating and cancelling one per job (1,000 short jobs on a
/// worker host) corrupts libdispatch's epoll bookkeeping on Linux, and its manager thread
/// dies with SIGSEGV in `_dispatch_event_loop_drain` (swift-corelibs-libdispatch #949;
/// swift-subprocess left DispatchIO for the same crash, #47). It took a worker down in the
/// many-hosts test. The thread costs one per running job, and sleeps in read(2) until the
/// supervisor writes its pids or exits.
enum PipeReader {
    static func chunks(_ fd: Int32) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    continuation.yield(Array(buffer[0..<n]))
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    break // end of file (or an error, which ends it too)
                }
            }
            close(fd)
            continuation.finish()
        }
        thread.name = "spool-worker.pipe"
        thread.stackSize = 64 << 10
        thread.start()
        return stream
    }
}
