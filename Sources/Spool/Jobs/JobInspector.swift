/// Where a job stands, read from the spool alone (so the answer is the same whichever
/// process asks): `JobFacts` read, `JobLifecycle.report` decides.
public struct JobInspector: Sendable {
    public let layout: SpoolLayout
    public var order: QueueOrder

    public init(layout: SpoolLayout, order: QueueOrder = QueueOrder()) {
        self.layout = layout
        self.order = order
    }

    /// A job's status; for a queued job with its 1-based `position`.
    public struct Snapshot: Sendable, Equatable {
        public var status: JobStatus
        public var position: Int?
    }

    /// - Parameter queued: a listing of the queue just taken, to count the position from.
    public func snapshot(_ id: JobID, queued: [QueueEntry]? = nil) throws(SpoolError) -> Snapshot {
        let report = try JobLifecycle.report(JobFacts.read(id, layout: layout, order: order, queued: queued))
        return Snapshot(status: report.status, position: report.position)
    }

    /// Ids of all jobs in the spool, newest first.
    public func allJobs() -> [(id: JobID, place: Place)] {
        var result: [(JobID, Place)] = []
        for priority in Priority.allCases {
            for name in FileSystem.list(layout.queue(priority)) {
                if let id = JobID(fileName: name) { result.append((id, .queued)) }
            }
        }
        for worker in FileSystem.list(layout.active) {
            for name in FileSystem.list(layout.active + "/" + worker) {
                if let id = JobID(fileName: name) { result.append((id, .active)) }
            }
        }
        for name in FileSystem.list(layout.done) {
            if let id = JobID(fileName: name) { result.append((id, .done)) }
        }
        // Requests that open sessions are listed by session_list, not as jobs.
        let sessions = SessionStore(layout: layout)
        let sessionIDs = Set(sessions.all())
        result.removeAll { sessionIDs.contains(SessionID(opening: $0.0)) }
        for session in sessionIDs {
            result += sessions.queued(session).map { ($0, .queued) }
            result += sessions.running(session).map { ($0, .active) }
        }
        return result.sorted { $0.0 > $1.0 }
    }

    public enum Place: Sendable {
        case queued, active, done
    }
}
