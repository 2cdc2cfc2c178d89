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

    public init(asyncAging: Double = Settings.asyncAging) {
        self.asyncAging = asyncAging
    }

    /// Sort key: urgent (sync or aged async) first, then by id (= age, FIFO).
    private typealias Key = (notUrgent: Bool, id: JobID)

    private func key(_ entry: QueueEntry, agedBefore: UInt64) -> Key {
        (!(entry.priority == .sync || entry.id.milliseconds <= agedBefore), entry.id)
    }

    /// True when `a` is served before `b`.
    private static func precedes(_ a: Key, _ b: Key) -> Bool {
        a.notUrgent != b.notUrgent ? !a.notUrgent : a.id < b.id
    }

    private func agedBefore(_ now: Timestamp) -> UInt64 {
        UInt64(max(0, now.nanoseconds / 1_000_000 - Int64(asyncAging * 1000)))
    }

    public func sorted(_ entries: [QueueEntry], now: Timestamp = .now) -> [QueueEntry] {
        let limit = agedBefore(now)
        return entries.map { (key: key($0, agedBefore: limit), entry: $0) }
            .sorted { Self.precedes($0.key, $1.key) }
            .map(\.entry)
    }

    /// Puts `entry` where it belongs in `reversed`, a list in reverse serving order (the
    /// next one last, as `sorted(_:).reversed()`), by binary search: an arrival joins a
    /// worker's list of waiting requests without a new listing of the queue.
    public func insert(_ entry: QueueEntry, intoReversed reversed: inout [QueueEntry], now: Timestamp = .now) {
        let limit = agedBefore(now)
        let mine = key(entry, agedBefore: limit)
        // From the front, the entries served after it, then those served before it.
        var low = 0, high = reversed.count
        while low < high {
            let middle = (low + high) / 2
            if Self.precedes(key(reversed[middle], agedBefore: limit), mine) { high = middle } else { low = middle + 1 }
        }
        reversed.insert(entry, at: low)
    }

    /// The request to serve next (what `sorted(_:).first` would be, in one pass).
    public func next(_ entries: [QueueEntry], now: Timestamp = .now) -> QueueEntry? {
        let limit = agedBefore(now)
        var best: (key: Key, entry: QueueEntry)?
        for entry in entries {
            let candidate = key(entry, agedBefore: limit)
            if let current = best?.key, Self.precedes(current, candidate) { continue }
            best = (candidate, entry)
        }
        return best?.entry
    }

    /// `position(of:in:)` from sorted queues, by binary search: the urgent ones (sync, and
    /// async older than the aging limit, a prefix of the async queue) come first, by age.
    public func position(of id: JobID, in queue: QueueSnapshot, now: Timestamp = .now) -> Int? {
        guard let priority = queue.priority(of: id) else { return nil }
        let limit = agedBefore(now)
        let aged = queue.countMade(atOrBefore: limit, .async)
        let asyncBefore = queue.countBefore(id, .async)
        if priority == .sync || id.milliseconds <= limit {
            return 1 + queue.countBefore(id, .sync) + min(aged, asyncBefore)
        }
        return 1 + queue.count(.sync) + asyncBefore
    }

    /// 1-based position of `id` in the serving order: only requests that will be served
    /// before it count.
    public func position(of id: JobID, in entries: [QueueEntry], now: Timestamp = .now) -> Int? {
        guard let target = entries.first(where: { $0.id == id }) else { return nil }
        let limit = agedBefore(now)
        let mine = key(target, agedBefore: limit)
        var ahead = 0 // counted in one pass: this runs for every start, over the whole queue
        for entry in entries where Self.precedes(key(entry, agedBefore: limit), mine) { ahead += 1 }
        return 1 + ahead
    }
}
