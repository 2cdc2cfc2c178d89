/// Where a job stands, read from the spool alone (so the answer is the same whichever
/// process asks): `JobFacts` read, `JobLifecycle.report` decides.
public struct JobInspector: Sendable {
    public let layout: SpoolLayout
    public var order: QueueOrder
    /// The queue as a process keeps it (spool-mcp's index from inotify), for positions
    /// without a listing; nil: the queue is listed when a position is needed.
    public var kept: (@Sendable () -> QueueSnapshot?)?

    public init(layout: SpoolLayout, order: QueueOrder = QueueOrder(), kept: (@Sendable () -> QueueSnapshot?)? = nil) {
        self.layout = layout
        self.order = order
        self.kept = kept
    }

    /// A job's status; for a queued job with its 1-based `position`.
    public struct Snapshot: Sendable, Equatable {
        public var status: JobStatus
        public var position: Int?
    }

    /// The queue: the kept index's, or one listing while there is none.
    public func queueSnapshot() -> QueueSnapshot {
        kept?() ?? QueueSnapshot(SpoolQueue(layout: layout, order: order).entries())
    }

    /// - Parameter queued: the queue as just seen, to count the position from.
    public func snapshot(_ id: JobID, queued: QueueSnapshot? = nil) throws(SpoolError) -> Snapshot {
        let report = try JobLifecycle.report(JobFacts.read(id, layout: layout, order: order, queued: queued ?? kept?()))
        return Snapshot(status: report.status, position: report.position)
    }

    /// Ids of all jobs in the spool, newest first.
    public func allJobs() -> [(id: JobID, place: Place)] {
        Array(newestFirst().map { ($0.id, $0.place) })
    }

    /// All jobs, newest first, one at a time, and how many there are. The queue comes
    /// sorted from the kept index when there is one (it may be the longest part by far, and
    /// a reader that wants the newest few never touches the rest of it); the other places
    /// are listed and sorted.
    public func newestFirst() -> JobsNewestFirst {
        let queue = queueSnapshot()
        var rest: [(JobID, Place)] = []
        for worker in FileSystem.list(layout.active) {
            for name in FileSystem.list(layout.active + "/" + worker) {
                if let id = JobID(fileName: name) { rest.append((id, .active)) }
            }
        }
        for name in FileSystem.list(layout.done) {
            if let id = JobID(fileName: name) { rest.append((id, .done)) }
        }
        // Requests that open sessions are listed by session_list, not as jobs.
        let sessions = SessionStore(layout: layout)
        let openers = Set(sessions.all().map(\.opener))
        rest.removeAll { openers.contains($0.0) }
        for session in openers.map(SessionID.init(opening:)) {
            rest += sessions.queued(session).map { ($0, .queued) }
            rest += sessions.running(session).map { ($0, .active) }
        }
        rest.sort { $0.0 > $1.0 }
        let queuedOpeners = openers.filter { queue.priority(of: $0) != nil }.count
        return JobsNewestFirst(rest: rest, queue: QueueSnapshot.NewestFirst(queue), openers: openers,
                               count: rest.count + queue.count - queuedOpeners)
    }

    public enum Place: Sendable {
        case queued, active, done
    }
}

/// `JobInspector.newestFirst()`: the listed places merged with the queue, newest first.
public struct JobsNewestFirst: Sequence, IteratorProtocol, Sendable {
    private var rest: [(JobID, JobInspector.Place)]
    private var restIndex = 0
    private var queue: QueueSnapshot.NewestFirst
    private var nextQueued: QueueEntry??
    private let openers: Set<JobID>
    /// How many jobs there are in all.
    public let count: Int

    init(rest: [(JobID, JobInspector.Place)], queue: QueueSnapshot.NewestFirst, openers: Set<JobID>, count: Int) {
        self.rest = rest
        self.queue = queue
        self.openers = openers
        self.count = count
    }

    public mutating func next() -> (id: JobID, place: JobInspector.Place)? {
        if nextQueued == nil { nextQueued = .some(takeQueued()) }
        let queued = nextQueued!
        if restIndex < rest.count, queued.map({ rest[restIndex].0 > $0.id }) ?? true {
            defer { restIndex += 1 }
            return rest[restIndex]
        }
        guard let entry = queued else { return nil }
        nextQueued = nil
        return (entry.id, .queued)
    }

    private mutating func takeQueued() -> QueueEntry? {
        while let entry = queue.next() {
            if !openers.contains(entry.id) { return entry }
        }
        return nil
    }
}
