/// Where a job stands, read from the spool alone (so the answer is the same whichever
/// process asks): the folder its request is in decides the state, `status.json` adds the
/// details.
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

    public func snapshot(_ id: JobID) throws(SpoolError) -> Snapshot {
        let records = JobRecords(layout: layout)
        if FileSystem.isDirectory(layout.session(id)) { throw .sessionNotJob(id) }
        if FileSystem.exists(layout.done(id)) {
            if var status = try records.status(id) {
                if status.stdoutBytes == nil { status.stdoutBytes = records.outputSize(id, .stdout) }
                if status.stderrBytes == nil { status.stderrBytes = records.outputSize(id, .stderr) }
                return Snapshot(status: status)
            }
            // Cancelled while queued: the rename to done/ comes first, the status a moment later.
            return Snapshot(status: JobStatus(job: id, state: .cancelled, priority: .async,
                createdAt: id.createdAt, reason: "cancelled before it started"))
        }
        let queue = SpoolQueue(layout: layout, order: order)
        if let priority = queue.find(id) {
            let entries = queue.entries()
            let position = order.position(of: id, in: entries)
            return Snapshot(status: JobStatus(job: id, state: .queued, priority: priority, createdAt: id.createdAt),
                            position: position)
        }
        for name in FileSystem.list(layout.active) {
            guard let worker = WorkerName(name), FileSystem.exists(layout.active(id, worker: worker)) else { continue }
            var status = try records.status(id)
                ?? JobStatus(job: id, state: .running, priority: .async, worker: worker, createdAt: id.createdAt)
            // The supervisor may have recorded the end before the bookkeeping caught up.
            let exitRecord: SupervisorExit?
            do { exitRecord = try records.exit(id) } catch {
                exitRecord = nil
                status.reason = "its exit record cannot be read (\(error)); it is reported running until the record is readable"
            }
            if let exit = exitRecord {
                status.state = exit.state
                status.exitCode = exit.exitCode
                status.signal = exit.signal
                status.finishedAt = Timestamp(nanoseconds: exit.finishedAtNs)
                status.recordDropped(exit)
                status.reason = exit.failure
                    ?? "the command has ended; its outcome is being filed (a worker retries while the spool cannot be written)"
            } else {
                status.state = .running
            }
            status.stdoutBytes = records.outputSize(id, .stdout)
            status.stderrBytes = records.outputSize(id, .stderr)
            return Snapshot(status: status)
        }
        switch SessionStore(layout: layout).find(id) {
        case .queued(let session, let position):
            return Snapshot(status: JobStatus(job: id, state: .queued, priority: .sync, createdAt: id.createdAt,
                                              session: session), position: position)
        case .running(let session):
            var status = try records.status(id)
                ?? JobStatus(job: id, state: .running, priority: .sync, createdAt: id.createdAt, session: session)
            status.state = .running
            status.stdoutBytes = records.outputSize(id, .stdout)
            status.stderrBytes = records.outputSize(id, .stderr)
            return Snapshot(status: status)
        case nil:
            break
        }
        // The request may be moving between folders right now: look once more.
        if FileSystem.exists(layout.done(id)) || queue.find(id) != nil {
            return try snapshot(id)
        }
        throw .unknownJob(id)
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
        result.removeAll { sessionIDs.contains($0.0) }
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
