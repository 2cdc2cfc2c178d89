/// Group commit, decided without I/O: which flushes go into the next round.
///
/// At most one round runs at a time. A flush asked for while a round runs waits for the
/// next one, which covers every flush asked for meanwhile; so a burst of N promises costs
/// about two rounds, not N.
public struct GroupCommitQueue<Waiter> {
    public struct Entry {
        public let sync: PendingSync
        /// Who is answered after the round; nil for a flush nobody waits for.
        public let waiter: Waiter?
    }

    public enum State {
        case idle
        case flushing
    }

    public private(set) var state: State = .idle
    public private(set) var pending: [Entry] = []

    public init() {}

    /// Queues a flush. True when the caller must start running rounds (none runs yet).
    public mutating func add(_ sync: PendingSync, waiter: Waiter?) -> Bool {
        pending.append(Entry(sync: sync, waiter: waiter))
        guard case .idle = state else { return false }
        state = .flushing
        return true
    }

    /// The flushes of the next round, or nil when there are none left (the runner stops).
    public mutating func nextRound() -> [Entry]? {
        guard !pending.isEmpty else {
            state = .idle
            return nil
        }
        defer { pending = [] }
        return pending
    }
}

/// What one round does: each file's data, then each folder once, in first-seen order.
public struct FlushRound: Sendable {
    public let files: [PendingSync]
    public let directories: [String]

    public init(_ files: [PendingSync]) {
        self.files = files
        var seen = Set<String>()
        directories = files.flatMap(\.directories).filter { seen.insert($0).inserted }
    }

    /// Each file's result, given which file syncs and which folder syncs failed: a file
    /// fails if its own flush or one of its folders' failed.
    public func results(fileErrors: [Int: SpoolError], directoryErrors: [String: SpoolError]) -> [Result<Void, SpoolError>] {
        files.enumerated().map { index, file in
            if let error = fileErrors[index] { return .failure(error) }
            if let error = file.directories.lazy.compactMap({ directoryErrors[$0] }).first { return .failure(error) }
            return .success(())
        }
    }
}
