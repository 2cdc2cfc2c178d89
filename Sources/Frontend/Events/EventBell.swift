import Foundation
import Spool
import Synchronization

/// Wakes every `/events` reader when the journal grows (inotify on `events/`, so it works
/// whichever spool-mcp writes the journal) and every `heartbeat`, so idle streams send a
/// keep-alive. A reader that is busy misses nothing: one pending ring is kept, and the
/// reader then reads all it has not read from the journal.
final class EventBell: Sendable {
    private struct State {
        var readers: [Int: AsyncStream<Void>.Continuation] = [:]
        var next = 0
        var closed = false
    }

    private let state = Mutex(State())
    static let heartbeat: Duration = .seconds(15)

    func subscribe() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id: Int? = state.withLock { state in
            guard !state.closed else { return nil }
            defer { state.next += 1 }
            state.readers[state.next] = continuation
            return state.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.readers.removeValue(forKey: id) }
        }
        return stream
    }

    func ring() {
        for reader in state.withLock({ Array($0.readers.values) }) { reader.yield() }
    }

    /// Ends every reader's stream (shutdown); later subscribers get an ended stream.
    func close() {
        let readers = state.withLock { state in
            state.closed = true
            defer { state.readers.removeAll() }
            return Array(state.readers.values)
        }
        for reader in readers { reader.finish() }
    }

    /// Rings on journal writes and heartbeats until cancelled.
    func run(layout: SpoolLayout, watcher: SpoolWatcher) async {
        let events = watcher.events()
        // Without the watch, streams are still woken by the heartbeat below, only later.
        try? await watcher.watch(layout.events, mask: WatchMask.changes | WatchMask.arrivals)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events where event.directory == layout.events || event.isOverflow {
                    self.ring()
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    await Pause.for(Self.heartbeat)
                    self.ring()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
