import Glibc

/// The waiting part of the spool: submitting and listing in serving order. Claims are
/// `JobTransitions`' (one `rename(2)`, so exactly one process wins each).
public struct SpoolQueue: Sendable {
    public let layout: SpoolLayout
    public var order: QueueOrder

    public init(layout: SpoolLayout, order: QueueOrder = QueueOrder()) {
        self.layout = layout
        self.order = order
    }

    /// Writes a request into its queue folder (durably: once this returns, it is accepted).
    /// Refuses (before anything is written) a request larger than `JobRequest.maxFileBytes`.
    public func submit(_ request: JobRequest) throws(SpoolError) {
        try AtomicFile.write(request.encodedForSpool(), to: layout.queued(request.job, request.priority), layout: layout)
    }

    /// Writes a request into its queue folder without fsync and returns the flush it owes:
    /// kill -9 of any process loses nothing, and the caller commits the flush before it
    /// promises the job survives a power cut.
    public func submitDeferred(_ request: JobRequest) throws(SpoolError) -> PendingSync {
        try AtomicFile.writeDeferred(request.encodedForSpool(), to: layout.queued(request.job, request.priority), layout: layout)
    }

    /// Waiting requests with well-formed names. Files that are not requests are reported
    /// through `foreign` so the caller can move them aside.
    public func entries(foreign: ((String, Priority) -> Void)? = nil) -> [QueueEntry] {
        var result: [QueueEntry] = []
        for priority in Priority.allCases {
            for name in FileSystem.list(layout.queue(priority)) {
                if let id = JobID(fileName: name) {
                    result.append(QueueEntry(id: id, priority: priority))
                } else {
                    foreign?(name, priority)
                }
            }
        }
        return result
    }

    /// Where a job waits, if it does.
    public func find(_ id: JobID) -> Priority? {
        Priority.allCases.first { FileSystem.exists(layout.queued(id, $0)) }
    }

    /// Whether a waiting request file may be claimed: an empty one is still being written
    /// (its writer's close wakes the workers) until `Settings.emptyRequestGrace` has passed.
    /// - Parameter age: asked for only when the file is empty (it costs a stat).
    public static func isReady(size: Int64?, age: () -> Double?) -> Bool {
        size != 0 || (age() ?? 0) >= Settings.emptyRequestGrace
    }

    /// Moves the request into `active/<worker>/`. False when another process got it first.
    public func claim(_ entry: QueueEntry, worker: WorkerName) throws(SpoolError) -> Bool {
        try JobTransitions(layout: layout).claim(entry, worker: worker)
    }

    /// Moves a file that cannot be used to `bad/`, with `<name>.reason` beside it.
    @discardableResult
    public func quarantine(_ path: String, reason: String) -> Bool {
        JobTransitions(layout: layout).quarantine(path, reason: reason)
    }
}
