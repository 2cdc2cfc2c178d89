import CSpoolSpawn
import Glibc
import Synchronization
import Foundation

/// Calls `onExit` once process `pid` has ended, whoever its parent is: a pidfd polled on a
/// thread of its own (a Dispatch source per watch would meet swift-corelibs-libdispatch
/// #949, see `PipeReader`). Used only for the rare job whose keeper and supervisor died.
/// The poll wakes every second to notice `cancel`.
final class ProcessExitWatch: Sendable {
    private let stopped = Atomic<Bool>(false)

    init?(pid: Int32, onExit: @escaping @Sendable () -> Void) {
        let fd = spool_pidfd_open(pid)
        guard fd >= 0 else { return nil }
        let thread = Thread { [self] in
            defer { close(fd) }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while !stopped.load(ordering: .relaxed) {
                if poll(&entry, 1, 1000) > 0 {
                    onExit()
                    return
                }
            }
        }
        thread.name = "spool-worker.exit"
        thread.stackSize = 64 << 10
        thread.start()
    }

    func cancel() {
        stopped.store(true, ordering: .relaxed)
    }
}
