/// The waiting requests, each queue's ids kept sorted (ids sort by age), so a position,
/// the depths and the newest ids come from binary searches, not from a pass over a long
/// queue: `status`, `start` and `list` cost the same at 50,000 waiting as at 10.
public struct QueueSnapshot: Sendable, Equatable {
    private var ids: [Priority: [JobID]] = [.sync: [], .async: []]

    public init(_ entries: some Sequence<QueueEntry> = []) {
        for entry in entries { ids[entry.priority]!.append(entry.id) }
        for priority in Priority.allCases { ids[priority]!.sort() }
    }

    public func count(_ priority: Priority) -> Int { ids[priority]!.count }
    public var count: Int { ids.values.reduce(0) { $0 + $1.count } }

    /// The queue `id` waits in, or nil.
    public func priority(of id: JobID) -> Priority? {
        Priority.allCases.first { index(of: id, in: $0) != nil }
    }

    public mutating func insert(_ id: JobID, _ priority: Priority) {
        guard index(of: id, in: priority) == nil else { return }
        // Arrivals are nearly always the newest: the append is the common case.
        if let last = ids[priority]!.last, last > id {
            ids[priority]!.insert(id, at: countBefore(id, priority))
        } else {
            ids[priority]!.append(id)
        }
    }

    public mutating func remove(_ id: JobID, _ priority: Priority) {
        if let at = index(of: id, in: priority) { ids[priority]!.remove(at: at) }
    }

    /// Where `id` is in the queue `priority`, or nil.
    private func index(of id: JobID, in priority: Priority) -> Int? {
        let at = countBefore(id, priority)
        return at < ids[priority]!.count && ids[priority]![at] == id ? at : nil
    }

    /// Every entry, oldest first within each queue.
    public var entries: [QueueEntry] {
        Priority.allCases.flatMap { priority in ids[priority]!.map { QueueEntry(id: $0, priority: priority) } }
    }

    /// Every entry, newest first across both queues, one at a time: a reader that wants
    /// the newest few never touches the rest.
    public struct NewestFirst: IteratorProtocol, Sendable {
        private var sync: ArraySlice<JobID>, async: ArraySlice<JobID>

        public init(_ snapshot: QueueSnapshot) {
            sync = snapshot.ids[.sync]![...]
            async = snapshot.ids[.async]![...]
        }

        public mutating func next() -> QueueEntry? {
            switch QueueSnapshot.newer(sync.last, async.last) {
            case .sync?: QueueEntry(id: sync.removeLast(), priority: .sync)
            case .async?: QueueEntry(id: async.removeLast(), priority: .async)
            case nil: nil
            }
        }
    }

    private static func newer(_ sync: JobID?, _ async: JobID?) -> Priority? {
        switch (sync, async) {
        case (nil, nil): nil
        case (.some, nil): .sync
        case (nil, .some): .async
        case (let s?, let a?): s > a ? .sync : .async
        }
    }

    /// How many ids of the queue `priority` are older than `id`.
    func countBefore(_ id: JobID, _ priority: Priority) -> Int { prefix(of: priority) { $0 < id } }

    /// How many ids of the queue `priority` were made at or before `milliseconds`.
    func countMade(atOrBefore milliseconds: UInt64, _ priority: Priority) -> Int {
        prefix(of: priority) { $0.milliseconds <= milliseconds }
    }

    /// The length of the queue's longest prefix whose ids all satisfy `holds` (which, over
    /// ids sorted by age, holds for a prefix): a binary search.
    private func prefix(of priority: Priority, where holds: (JobID) -> Bool) -> Int {
        let sorted = ids[priority]!
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if holds(sorted[middle]) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
