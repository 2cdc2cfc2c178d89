/// A count of the spool right now, from directory listings alone: what `stats`, ETAs and
/// `/health` are computed from.
public struct SpoolCensus: Sendable, Equatable {
    public var queuedSync = 0
    public var queuedAsync = 0
    /// Requests in `active/` (jobs and open sessions) of live workers.
    public var running = 0
    public var workers = 0
    /// Sum of the live workers' `--slots`.
    public var slots = 0

    public init() {}

    /// - Parameter queued: a listing of the queue just taken (else it is listed).
    public static func take(_ layout: SpoolLayout, queued: QueueSnapshot? = nil) -> SpoolCensus {
        var census = SpoolCensus()
        if let queued {
            census.queuedSync = queued.count(.sync)
            census.queuedAsync = queued.count(.async)
        } else {
            // Counted as listed: a census needs no order.
            for entry in SpoolQueue(layout: layout).entries() {
                if entry.priority == .sync { census.queuedSync += 1 } else { census.queuedAsync += 1 }
            }
        }
        for worker in LiveWorker.all(layout) {
            census.workers += 1
            census.slots += worker.record.slots
            census.running += worker.running
        }
        return census
    }

    /// Jobs that can run at once: the live workers' slots, capped by `--max-running`.
    public func capacity(maxRunning: Int) -> Int {
        maxRunning > 0 ? min(slots, maxRunning) : slots
    }
}

/// Queue-time estimates from the moving averages (`stats.json`).
public enum Estimate {
    /// Seconds until a request at 1-based `position` starts: none while a slot is free
    /// for it; otherwise one average run time per round of `capacity` jobs ahead of it.
    /// Nil when nothing can run it (no live worker) or before any job has finished.
    public static func eta(position: Int, running: Int, capacity: Int, runSeconds: Double?) -> Double? {
        guard capacity > 0 else { return nil }
        let free = max(0, capacity - running)
        if position <= free { return 0 }
        guard let runSeconds else { return nil }
        let rounds = (position - free + capacity - 1) / capacity
        return (Double(rounds) * runSeconds * 10).rounded() / 10
    }
}
