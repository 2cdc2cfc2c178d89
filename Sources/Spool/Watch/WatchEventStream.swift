import CInotifyTools
import Synchronization

/// One subscriber's events from `SpoolWatcher`, bounded: when the subscriber has fallen
/// `limit` events behind, the watcher stops queueing events for it and queues a single
/// overflow event instead (`isOverflow`, as the kernel's own `IN_Q_OVERFLOW`). Events
/// that arrive before the subscriber reads that overflow are dropped, which is safe only
/// because every subscriber answers an overflow by rescanning what it follows, and that
/// rescan happens after those events. Nothing is ever dropped without the overflow.
public struct WatchEventStream: AsyncSequence, Sendable {
    public typealias Element = WatchEvent

    let stream: AsyncStream<WatchEvent>
    let queue: BoundedQueue

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), queue: queue)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<WatchEvent>.AsyncIterator
        let queue: BoundedQueue

        public mutating func next() async -> WatchEvent? {
            guard let event = await base.next() else { return nil }
            queue.consumed(event)
            return event
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> WatchEvent? {
            guard let event = await base.next(isolation: actor) else { return nil }
            queue.consumed(event)
            return event
        }
    }

    /// The producer side's bookkeeping: how many events wait unread, and whether an
    /// overflow is already queued.
    final class BoundedQueue: Sendable {
        struct State {
            var pending = 0
            var overflowQueued = false
        }

        let limit: Int
        let continuation: AsyncStream<WatchEvent>.Continuation
        /// The events the subscriber wants (overflows always reach it); nil: all.
        let wants: (@Sendable (WatchEvent) -> Bool)?
        let state = Mutex(State())

        init(limit: Int, continuation: AsyncStream<WatchEvent>.Continuation, wants: (@Sendable (WatchEvent) -> Bool)? = nil) {
            self.limit = limit
            self.continuation = continuation
            self.wants = wants
        }

        /// Called from the watcher's one thread only, so events keep their order.
        func offer(_ event: WatchEvent) {
            // Decided here, on the watcher's thread: an unwanted event wakes no task.
            if let wants, !event.isOverflow, !wants(event) { return }
            let queued: WatchEvent? = state.withLock { state in
                if state.overflowQueued { return nil }
                state.pending += 1
                if state.pending > limit {
                    state.overflowQueued = true
                    return WatchEvent.overflow
                }
                return event
            }
            if let queued { continuation.yield(queued) }
        }

        func consumed(_ event: WatchEvent) {
            state.withLock { state in
                state.pending -= 1
                if event.isOverflow { state.overflowQueued = false }
            }
        }
    }
}

extension WatchEvent {
    /// The event a subscriber gets in place of those it fell too far behind to receive.
    public static let overflow = WatchEvent(directory: "", name: "", mask: UInt32(IN_Q_OVERFLOW))
}
