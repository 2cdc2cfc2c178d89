import CSpoolSpawn
import Foundation
import Glibc
import Synchronization

/// Reads pipes until end of file, as streams of chunks: the supervisors' pid pipes, one
/// per running job. One thread waits in epoll_wait(2) for all of them; each read end is
/// closed at its end of file.
///
/// Hand-written on purpose:
/// - not a Dispatch read source: creating and cancelling one per job (1,000 short jobs on
///   a worker host) corrupts libdispatch's epoll bookkeeping on Linux, and its manager
///   thread dies with SIGSEGV in `_dispatch_event_loop_drain` (swift-corelibs-libdispatch
///   #949; swift-subprocess left DispatchIO for the same crash, #47). It took a worker down
///   in the many-hosts test;
/// - not a thread per pipe, as before: making and ending one per job took about 5 % of a
///   2-core machine with 8 `run`s in flight (perf);
/// - not swift-nio: its event loops and channel pipeline, for a line or two per job, would
///   come into a process that has no other use for them.
final class PipeReader: Sendable {
    private let epoll: Int32
    private let streams = Mutex<[Int32: AsyncStream<[UInt8]>.Continuation]>([:])
    /// Set if epoll_wait fails for good: later pipes get threads of their own.
    private let broken = Atomic<Bool>(false)

    private static let shared = Mutex<PipeReader??>(nil)

    /// The process's reader, started on first use; nil if epoll is unavailable.
    private static func reader() -> PipeReader? {
        shared.withLock { shared in
            if let made = shared { return made }
            let made = PipeReader()
            shared = .some(made)
            return made
        }
    }

    private init?() {
        epoll = spool_epoll_create()
        guard epoll >= 0 else { return nil }
        let thread = Thread { [self] in loop() }
        thread.name = "spool-worker.pipes"
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// What arrives on `fd` until its end of file (or a read error, which ends it too).
    /// Takes `fd` over: it is closed at the end.
    static func chunks(_ fd: Int32) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        if let reader = reader(), reader.add(fd, continuation) { return stream }
        // epoll refused it (out of memory, or its watch limit): read on a thread of its own.
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Self.readOnce(fd, &buffer, into: continuation) == .more {}
            close(fd)
            continuation.finish()
        }
        thread.name = "spool-worker.pipe"
        thread.stackSize = 64 << 10
        thread.start()
        return stream
    }

    private func add(_ fd: Int32, _ continuation: AsyncStream<[UInt8]>.Continuation) -> Bool {
        if broken.load(ordering: .relaxed) { return false }
        // Registered before the watch, so the loop finds it for the first event.
        streams.withLock { $0[fd] = continuation }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if spool_epoll_add(epoll, fd) == 0 { return true }
        streams.withLock { $0[fd] = nil }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return false
    }

    private func loop() {
        var ready = [Int32](repeating: -1, count: 64)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = spool_epoll_wait(epoll, &ready, Int32(ready.count))
            if count == 0 { continue } // interrupted
            if count < 0 {
                // Cannot happen with a valid instance; if it does, no pipe is left waiting
                // forever: each stream ends as if its supervisor had exited, and the runner
                // then waits for the job's exit record instead (`awaitRecord`).
                broken.store(true, ordering: .relaxed)
                let left = streams.withLock { streams in
                    defer { streams.removeAll() }
                    return streams
                }
                for (fd, continuation) in left {
                    close(fd)
                    continuation.finish()
                }
                return
            }
            for fd in ready[0..<Int(count)] {
                guard let continuation = streams.withLock({ $0[fd] }) else { continue }
                var outcome = Self.Read.more
                repeat { outcome = Self.readOnce(fd, &buffer, into: continuation) } while outcome == .more
                if outcome == .ended {
                    // Forgotten before the close: the number may be reused by the next pipe.
                    _ = spool_epoll_remove(epoll, fd)
                    streams.withLock { $0[fd] = nil }
                    close(fd)
                    continuation.finish()
                }
            }
        }
    }

    private enum Read { case more, drained, ended }

    /// One read(2): a chunk handed on (`more`), nothing more for now (`drained`), or the end.
    private static func readOnce(_ fd: Int32, _ buffer: inout [UInt8], into continuation: AsyncStream<[UInt8]>.Continuation) -> Read {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            continuation.yield(Array(buffer[0..<count]))
            return .more
        }
        if count < 0 && errno == EINTR { return .more }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return .drained }
        return .ended
    }
}
