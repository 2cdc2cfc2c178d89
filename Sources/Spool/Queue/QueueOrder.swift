/// One waiting request as seen in a queue folder listing.
public struct QueueEntry: Sendable, Hashable {
    public var id: JobID
    public var priority: Priority

    public init(id: JobID, priority: Priority) {
        self.id = id
        self.priority = priority
    }
}

/// The order in which waiting requests are served: sync before async, FIFO (id order)
/// within each, except that an async request waiting longer than `asyncAging` is served
/// as if it were sync, so background work is never starved by a stream of sync work.
/// Pure: tested without I/O.
public struct QueueOrder: Sendable {
    public var asyncAging: Double

    public init(asyncAging: Double = 60) {
        self.asyncAging = asyncAging
    }

    public func sorted(_ entries: [QueueEntry], now: Timestamp = .now) -> [QueueEntry] {
        let agedBefore = now.nanoseconds - Int64(asyncAging * 1e9)
        func urgent(_ entry: QueueEntry) -> Bool {
            entry.priority == .sync || entry.id.createdAt.nanoseconds <= agedBefore
        }
        return entries.sorted { a, b in
            let ua = urgent(a), ub = urgent(b)
            if ua != ub { return ua }
            return a.id < b.id
        }
    }

    /// 1-based position of `id` in the serving order: only requests that will be served
    /// before it count.
    public func position(of id: JobID, in entries: [QueueEntry], now: Timestamp = .now) -> Int? {
        sorted(entries, now: now).firstIndex { $0.id == id }.map { $0 + 1 }
    }
}
