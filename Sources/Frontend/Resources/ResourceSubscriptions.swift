import MCPWire
import Spool

/// One client's `resources/subscribe`s: each follows its file with inotify and sends
/// `notifications/resources/updated` on every write (and when the file is replaced under
/// its name), then once more when the resource ends (a job's output when the job ends).
actor ResourceSubscriptions {
    /// What one subscription follows.
    struct Target: Sendable {
        var directory: String
        var name: String
        /// An event besides a write that may mean the resource is complete.
        var mayHaveEnded: @Sendable (WatchEvent) -> Bool = { _ in false }
        /// Whether it is complete, so following can stop.
        var hasEnded: @Sendable () -> Bool = { false }
        /// For a resource that is no file (the backup list): its changes, instead of the
        /// file's events. The stream ends its source when it is dropped.
        var changes: (@Sendable () async -> AsyncStream<Void>)?
    }

    private var followers: [String: Task<Void, Never>] = [:]
    private let watcher: SpoolWatcher
    private let target: @Sendable (String) async throws(MCPError) -> Target
    private let notify: @Sendable (String) async -> Void

    init(watcher: SpoolWatcher, target: @escaping @Sendable (String) async throws(MCPError) -> Target,
         notify: @escaping @Sendable (String) async -> Void) {
        self.watcher = watcher
        self.target = target
        self.notify = notify
    }

    /// Shortest time between two `resources/updated` for one URI.
    static let minimumInterval: Duration = .milliseconds(50)

    func subscribe(_ uri: String) async throws(MCPError) {
        let target = try await self.target(uri)
        guard followers[uri] == nil else { return }
        let notify = self.notify
        let interval = Self.minimumInterval
        if let changes = target.changes {
            let stream = await changes()
            followers[uri] = Task {
                var last = ContinuousClock.now - interval
                for await _ in stream {
                    let wait = last + interval - ContinuousClock.now
                    if wait > .zero { await Pause.for(wait) }
                    if Task.isCancelled { break }
                    last = ContinuousClock.now
                    await notify(uri)
                }
            }
            return
        }
        // Subscribed before the watch is placed, so no write in between is missed.
        let events = watcher.events()
        do {
            try await watcher.watch(target.directory, mask: WatchMask.changes | WatchMask.arrivals | WatchMask.creations)
        } catch {
            throw .internalError("cannot follow \(uri): \(error)")
        }
        followers[uri] = Task {
            // Writes are coalesced: one notification per `interval` at most, and always one
            // after the last write, so a chatty writer cannot queue thousands for a client.
            let (wakes, wake) = AsyncStream<Bool>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let watch = Task {
                for await event in events {
                    if event.directory == target.directory && event.name == target.name
                        && (event.isModification || event.isArrival || event.isCreation) {
                        wake.yield(false)
                    } else if event.isOverflow || target.mayHaveEnded(event) {
                        wake.yield(true)
                    }
                }
                wake.finish()
            }
            defer { watch.cancel() }
            var last = ContinuousClock.now - interval
            for await maybeEnded in wakes {
                let wait = last + interval - ContinuousClock.now
                if wait > .zero { await Pause.for(wait) } // later writes fold into this one
                if Task.isCancelled { break }
                last = ContinuousClock.now
                await notify(uri)
                if maybeEnded, target.hasEnded() { break }
            }
        }
    }

    func unsubscribe(_ uri: String) {
        followers.removeValue(forKey: uri)?.cancel()
    }

    func cancelAll() {
        for (_, task) in followers { task.cancel() }
        followers.removeAll()
    }
}
