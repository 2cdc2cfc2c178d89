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

    /// - Parameter queued: the queue as just seen, to count the position from.
    public func snapshot(_ id: JobID, queued: QueueSnapshot? = nil) throws(SpoolError) -> Snapshot {
        let report = try JobLifecycle.report(JobFacts.read(id, layout: layout, order: order, queued: queued ?? kept?()))
        return Snapshot(status: report.status, position: report.position)
    }

    /// Ids of all jobs in the spool, newest first.
    public func allJobs() -> [(id: JobID, place: Place)] {
        // The queue comes sorted from the kept index when there is one (it may be the
        // longest part by far); the rest is listed and sorted, then both are merged.
        let queue = kept?() ?? QueueSnapshot(SpoolQueue(layout: layout, order: order).entries())
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
        let sessionIDs = Set(sessions.all())
        rest.removeAll { sessionIDs.contains(SessionID(opening: $0.0)) }
        for session in sessionIDs {
            rest += sessions.queued(session).map { ($0, .queued) }
            rest += sessions.running(session).map { ($0, .active) }
        }
        rest.sort { $0.0 > $1.0 }
        let queued = queue.newest(queue.count).filter { !sessionIDs.contains(SessionID(opening: $0.id)) }
        var result: [(id: JobID, place: Place)] = []
        result.reserveCapacity(rest.count + queued.count)
        var (r, q) = (0, 0)
        while r < rest.count || q < queued.count {
            if q == queued.count || (r < rest.count && rest[r].0 > queued[q].id) {
                result.append(rest[r])
                r += 1
            } else {
                result.append((queued[q].id, .queued))
                q += 1
            }
        }
        return result
    }

    public enum Place: Sendable {
        case queued, active, done
    }
}
