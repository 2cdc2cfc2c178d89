/// The spool side of persistent sessions: creating them, queueing their commands,
/// finding them. The shell itself is run by a worker (`SessionHost`).
///
/// A session is opened by a request in `queue/sync/<session>.json` (kind `session`), so
/// it waits for a slot like any job and occupies one in `active/<worker>/` while open.
/// Its commands never enter the global queue: they wait in `sessions/<id>/queue/`, run
/// from `sessions/<id>/running/`, and end in `done/` like every job.
public struct SessionStore: Sendable {
    public let layout: SpoolLayout

    public init(layout: SpoolLayout) {
        self.layout = layout
    }

    /// Creates the session folder and queues the request that opens it.
    /// - Parameters:
    ///   - claim: on a worker host, the claim in PostgreSQL the session opens under.
    ///   - snapshot: the state a former life of the session left on another host: laid down
    ///     first, so the shell starts from it.
    public func create(_ record: SessionRecord, client: AuditClient? = nil, claim: HostClaim? = nil,
                       snapshot: SessionSnapshot? = nil) throws(SpoolError) {
        let id = record.session
        try FileSystem.makeDirectory(layout.sessionQueue(id))
        try FileSystem.makeDirectory(layout.sessionRunning(id))
        if let cwd = record.cwd {
            try AtomicFile.write(Array((cwd + "\n").utf8), to: layout.session(id, .cwd), layout: layout)
        }
        try snapshot?.write(id, layout: layout)
        try write(record)
        var request = JobRequest(
            job: id.opener, command: "", cwd: record.cwd, env: record.env, shell: record.shell,
            priority: .sync, createdAt: record.createdAt, session: id, kind: .session)
        request.client = client
        request.claim = claim
        try SpoolQueue(layout: layout).submit(request)
    }

    public func record(_ id: SessionID) throws(SpoolError) -> SessionRecord? {
        try SpoolJSON.load(SessionRecord.self, from: layout.session(id, .record))
    }

    /// The record of the session that the request `opener` opens.
    public func record(_ opener: JobID) throws(SpoolError) -> SessionRecord? {
        try record(SessionID(opening: opener))
    }

    public func write(_ record: SessionRecord) throws(SpoolError) {
        try AtomicFile.write(json: record, to: layout.session(record.session, .record), layout: layout)
    }

    /// Every session folder, newest first.
    public func all() -> [SessionID] {
        FileSystem.list(layout.sessions).compactMap { SessionID($0) }.sorted(by: >)
    }

    /// Queues a command for the session's shell.
    public func submit(_ request: JobRequest) throws(SpoolError) {
        guard let session = request.session else { return }
        try AtomicFile.write(request.encodedForSpool(), to: layout.sessionQueued(request.job, in: session), layout: layout)
    }

    /// Queues a command for the session's shell without fsync; see `SpoolQueue.submitDeferred`.
    public func submitDeferred(_ request: JobRequest) throws(SpoolError) -> PendingSync? {
        guard let session = request.session else { return nil }
        return try AtomicFile.writeDeferred(request.encodedForSpool(), to: layout.sessionQueued(request.job, in: session), layout: layout)
    }

    /// Waiting commands in the order the shell runs them.
    public func queued(_ id: SessionID) -> [JobID] {
        FileSystem.list(layout.sessionQueue(id)).compactMap { JobID(fileName: $0) }.sorted()
    }

    public func running(_ id: SessionID) -> [JobID] {
        FileSystem.list(layout.sessionRunning(id)).compactMap { JobID(fileName: $0) }
    }

    public enum Place: Sendable, Equatable {
        case queued(session: SessionID, position: Int)
        case running(session: SessionID)
    }

    /// Where a session command waits or runs, if it does.
    public func find(_ job: JobID) -> Place? {
        for session in all() {
            if FileSystem.exists(layout.sessionQueued(job, in: session)) {
                let position = (queued(session).firstIndex(of: job) ?? 0) + 1
                return .queued(session: session, position: position)
            }
            if FileSystem.exists(layout.sessionRunning(job, in: session)) { return .running(session: session) }
        }
        return nil
    }

    /// Asks the session to end after its current command (the marker survives restarts).
    public func requestEnd(_ id: SessionID) throws(SpoolError) {
        try AtomicFile.write(Array("end requested at \(Timestamp.now)\n".utf8), to: layout.session(id, .end), layout: layout)
    }

    public func isEndRequested(_ id: SessionID) -> Bool {
        FileSystem.exists(layout.session(id, .end))
    }

    /// True while a shell of this session is alive (its worker or the shell holds the lock).
    public func isHosted(_ id: SessionID) -> Bool {
        FileLock.isHeld(layout.session(id, .shellLog))
    }

    /// The record of `id` if `id` names a session (cheap: one stat when it does not).
    public func record(ifSession id: JobID) -> SessionRecord? {
        let session = SessionID(opening: id)
        guard FileSystem.isDirectory(layout.session(session)) else { return nil }
        // A record still being written for the first time reads as not there yet: queued.
        return (try? record(session)) ?? SessionRecord(session: session, state: .queued, cwd: nil, env: nil, shell: nil, createdAt: id.createdAt)
    }

    /// Marks a session closed and cancels its waiting commands.
    /// - Throws: when the closed record cannot be written; the commands are cancelled anyway.
    public func close(_ id: SessionID, reason: String) throws(SpoolError) {
        // An unreadable record is replaced by a closed one: closing is what was asked.
        var record = (try? record(id)) ?? SessionRecord(session: id, state: .closed, cwd: nil, env: nil, shell: nil, createdAt: id.createdAt)
        record.state = .closed
        record.closedAt = .now
        record.pid = nil
        record.reason = reason
        cancelQueued(id, reason: "the session ended before this command ran (\(reason))")
        try write(record)
    }

    /// Ends commands still waiting in a closed session as cancelled.
    public func cancelQueued(_ id: SessionID, reason: String) {
        let transitions = JobTransitions(layout: layout)
        for job in queued(id) {
            do {
                _ = try transitions.dequeue(job, from: .sessionQueued(session: id),
                                            origin: JobOrigin(job: job, priority: .sync, session: id), reason: reason)
            } catch {
                SpoolLog.logger.error("cannot cancel command \(job) of closed session \(id): \(error); it stays queued and is cancelled on the next close")
            }
        }
    }
}
