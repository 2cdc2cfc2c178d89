import Synchronization

/// What woke a relay and what it should look at: `RelayWake` keys gathered from
/// notifications and file events, or "everything" after a gap (a reconnect, an inotify
/// overflow). A set, not a buffer: repeated wakeups for one job merge, and none is dropped.
final class WakeSet: Sendable {
    struct Batch: Sendable, Equatable {
        var keys: Set<RelayWake> = []
        /// Look at everything: some wakeups may have been missed.
        var all = false
        var isEmpty: Bool { keys.isEmpty && !all }
    }

    private struct State {
        var pending = Batch()
        var waiter: CheckedContinuation<Batch, Never>?
        var generation = 0
    }

    private let state = Mutex(State())

    init() {}

    func add(_ key: RelayWake) { deliver { $0.keys.insert(key) } }
    func addAll() { deliver { $0.all = true } }

    private func deliver(_ change: (inout Batch) -> Void) {
        let waiter: (CheckedContinuation<Batch, Never>, Batch)? = state.withLock { state in
            change(&state.pending)
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            defer { state.pending = Batch() }
            return (waiter, state.pending)
        }
        if let (continuation, batch) = waiter { continuation.resume(returning: batch) }
    }

    /// What is pending, waiting up to `timeout` for something (an empty batch when the
    /// time passed: the caller's slow poll). One waiter at a time.
    func next(timeout: Duration) async -> Batch {
        await withCheckedContinuation { (continuation: CheckedContinuation<Batch, Never>) in
            let waited: Int? = state.withLock { state in
                if !state.pending.isEmpty {
                    let ready = state.pending
                    state.pending = Batch()
                    continuation.resume(returning: ready)
                    return nil
                }
                state.generation += 1
                state.waiter = continuation
                return state.generation
            }
            guard let waited else { return }
            Task {
                try? await Task.sleep(for: timeout)
                let expired: CheckedContinuation<Batch, Never>? = self.state.withLock { state in
                    guard state.generation == waited, let waiter = state.waiter else { return nil }
                    state.waiter = nil
                    return waiter
                }
                expired?.resume(returning: Batch())
            }
        }
    }
}
