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

    /// Sort key: urgent (sync or aged async) first, then by id (= age, FIFO).
    private func key(_ entry: QueueEntry, agedBefore: UInt64) -> (Bool, JobID) {
        (!(entry.priority == .sync || entry.id.milliseconds <= agedBefore), entry.id)
    }

    private func agedBefore(_ now: Timestamp) -> UInt64 {
        UInt64(max(0, now.nanoseconds / 1_000_000 - Int64(asyncAging * 1000)))
    }

    public func sorted(_ entries: [QueueEntry], now: Timestamp = .now) -> [QueueEntry] {
        let limit = agedBefore(now)
        return entries.map { (key: key($0, agedBefore: limit), entry: $0) }
            .sorted { $0.key.0 != $1.key.0 ? !$0.key.0 : $0.key.1 < $1.key.1 }
            .map(\.entry)
    }

    /// The request to serve next (what `sorted(_:).first` would be, in one pass).
    public func next(_ entries: [QueueEntry], now: Timestamp = .now) -> QueueEntry? {
        let limit = agedBefore(now)
        var best: (key: (Bool, JobID), entry: QueueEntry)?
        for entry in entries {
            let candidate = key(entry, agedBefore: limit)
            if let current = best?.key,
               current.0 != candidate.0 ? !current.0 : current.1 < candidate.1 { continue }
            best = (candidate, entry)
        }
        return best?.entry
    }

    /// 1-based position of `id` in the serving order: only requests that will be served
    /// before it count.
    public func position(of id: JobID, in entries: [QueueEntry], now: Timestamp = .now) -> Int? {
        guard let target = entries.first(where: { $0.id == id }) else { return nil }
        let limit = agedBefore(now)
        let mine = key(target, agedBefore: limit)
        return 1 + entries.reduce(0) { count, entry in
            let other = key(entry, agedBefore: limit)
            let ahead = other.0 != mine.0 ? !other.0 : other.1 < mine.1
            return count + (ahead ? 1 : 0)
        }
    }
}
