import Synchronization

/// Whether a job's running `status.json` has been written, and that it never is once the
/// job has ended: the write runs under the lock, so after `end()` it has either happened
/// or never will, and the final record written next is never replaced by it.
final class RunningStatusShow: Sendable {
    private struct State {
        var ended = false
        var shown = false
    }

    private let state = Mutex(State())

    /// Runs `write` unless the job has ended (or it ran already).
    func showUnlessEnded(_ write: () -> Void) {
        state.withLock { state in
            guard !state.ended, !state.shown else { return }
            write()
            state.shown = true
        }
    }

    /// Whether the running status was written (the final one then replaces it).
    var wasShown: Bool { state.withLock { $0.shown } }

    /// The job has ended: no running status after this.
    func end() {
        state.withLock { $0.ended = true }
    }
}
