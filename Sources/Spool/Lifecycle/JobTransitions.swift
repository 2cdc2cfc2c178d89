import Glibc

/// Carries out the lifecycle's transitions: the only code that moves request files
/// between the spool's folders. Each move is one `rename(2)`, so exactly one process wins
/// each transition; the records that go with it are written in the order that keeps a
/// crash at any point recoverable (a final status before its rename to `done/`).
public struct JobTransitions: Sendable {
    public let layout: SpoolLayout
    /// When set, a final record is written without fsync and flushed by this committer
    /// after its rename into `done/`, off the path of the answer a `run` waits for
    /// (DESIGN.md: a complete result promises only itself). Without one it is flushed
    /// before the rename.
    public var committer: GroupCommitter?

    public init(layout: SpoolLayout, committer: GroupCommitter? = nil) {
        self.layout = layout
        self.committer = committer
    }

    var records: JobRecords { JobRecords(layout: layout) }

    /// Where the request file of `id` is while it is in `place`; nil for `.nowhere`.
    public func path(_ id: JobID, in place: JobFacts.Place) -> String? {
        switch place {
        case .queued(let priority): layout.queued(id, priority)
        case .claimed(let worker): layout.active(id, worker: worker)
        case .sessionQueued(let session): layout.sessionQueued(id, in: session)
        case .sessionRunning(let session): layout.sessionRunning(id, in: session)
        case .done: layout.done(id)
        case .nowhere: nil
        }
    }

    private func move(_ id: JobID, from: JobFacts.Place, to: JobFacts.Place) throws(SpoolError) -> Bool {
        guard let source = path(id, in: from), let target = path(id, in: to) else { return false }
        return try FileSystem.rename(source, to: target)
    }

    // MARK: waiting and claiming

    /// queue → `active/<worker>/`. False when another process got it first.
    public func claim(_ entry: QueueEntry, worker: WorkerName) throws(SpoolError) -> Bool {
        try move(entry.id, from: .queued(entry.priority), to: .claimed(worker))
    }

    /// `active/<worker>/` → queue, for a claimed request that never started.
    public func requeue(_ id: JobID, priority: Priority, from worker: WorkerName) throws(SpoolError) -> Bool {
        try move(id, from: .claimed(worker), to: .queued(priority))
    }

    /// One queue → the other (`promote`); false when a worker claimed it first.
    public func promote(_ id: JobID, from: Priority, to: Priority) throws(SpoolError) -> Bool {
        try move(id, from: .queued(from), to: .queued(to))
    }

    /// A session's queue → its `running/` (atomic against a cancel).
    public func claimSessionCommand(_ job: JobID, session: SessionID) throws(SpoolError) -> Bool {
        try move(job, from: .sessionQueued(session: session), to: .sessionRunning(session: session))
    }

    /// A session's `running/` → its queue, for a command whose hand-over failed before it
    /// started (a relay that could not record it): it waits again, in its place.
    public func unclaimSessionCommand(_ job: JobID, session: SessionID) throws(SpoolError) -> Bool {
        try move(job, from: .sessionRunning(session: session), to: .sessionQueued(session: session))
    }

    // MARK: ending

    /// Ends a job that was claimed or running at `place`: writes its final status (made by
    /// `JobLifecycle.finalStatus`), then files the request in `done/`. Safe to race: two
    /// processes finishing the same job write the same status, and one rename wins.
    /// - Parameters:
    ///   - previous: the job's running status when the caller wrote it itself
    ///     (else it is read; a corrupt one is rebuilt from the request and the ending).
    ///   - previousWritten: false when `previous` was only known, never written (a job that
    ///     ended before its running status was due): no file at `status.json` to replace.
    @discardableResult
    public func finish(_ id: JobID, from place: JobFacts.Place, origin: JobOrigin, worker: WorkerName?,
                       ending: JobEnding, previous known: JobStatus? = nil, previousWritten: Bool = true) throws(SpoolError) -> JobStatus {
        let previous = known ?? (try? records.status(id))
        if case .rejected = ending.outcome { try FileSystem.makeDirectory(layout.job(id)) }
        let status = JobLifecycle.finalStatus(origin, worker: worker, previous: previous, ending: ending,
                                              stdoutBytes: records.outputSize(id, .stdout),
                                              stderrBytes: records.outputSize(id, .stderr))
        let moved: Bool
        if let committer {
            // Swapped in for a running status on disk (not for one only known: a short job's).
            let pending = try AtomicFile.writeDeferred(SpoolJSON.encode(status), to: layout.job(id, .status), layout: layout,
                                                       replacing: previous != nil && previousWritten)
            moved = try move(id, from: place, to: .done)
            // Looked for after the move: a `run` that hands out the id marks first and then
            // looks for the move, so one of the two always flushes (`JobService.promiseOutcome`).
            if origin.promise == .jobID || FileSystem.exists(layout.job(id, .promised)) {
                committer.commitLater(moved ? pending.adding(directory: layout.done) : pending)
            }
        } else {
            try records.writeStatus(status)
            moved = try move(id, from: place, to: .done)
            if moved { FileSystem.syncDirectory(layout.done) }
        }
        if moved {
            // The one place every end passes: its audit line (DESIGN.md, "Audit log").
            AuditLog(layout: layout).record(.finished(status, client: origin.client, worker: worker))
            if let startedAt = status.startedAt, let finishedAt = status.finishedAt, ending.startedAt != nil {
                AveragesFile(layout: layout).record(status.priority, wait: startedAt.seconds(since: status.createdAt),
                                                    run: finishedAt.seconds(since: startedAt))
            }
        }
        return status
    }

    /// Files a request whose final status is already written (its owner died before the
    /// rename, or a relay mirrored it).
    /// - Parameter durable: false when the record is a mirror of one kept elsewhere (a
    ///   relayed job's is in PostgreSQL), so a `run` waiting for it pays no fsync.
    public func fileFinished(_ id: JobID, from place: JobFacts.Place, durable: Bool = true) throws(SpoolError) {
        if try move(id, from: place, to: .done), durable { FileSystem.syncDirectory(layout.done) }
    }

    /// Ends a request that still waits at `place` as cancelled. The rename comes first, so
    /// exactly one of cancel and claim wins; false when a worker claimed it first (it then
    /// runs, and its cancel marker stops it instead).
    public func dequeue(_ id: JobID, from place: JobFacts.Place, origin: JobOrigin,
                        reason: String = "cancelled before it started") throws(SpoolError) -> Bool {
        guard try move(id, from: place, to: .done) else { return false }
        try FileSystem.makeDirectory(layout.job(id))
        let ending = JobEnding(outcome: .cancelled(code: nil, signal: nil, started: false), finishedAt: .now, reason: reason)
        let status = JobLifecycle.finalStatus(origin, worker: nil, previous: nil, ending: ending, stdoutBytes: 0, stderrBytes: 0)
        try records.writeStatus(status)
        FileSystem.syncDirectory(layout.done)
        AuditLog(layout: layout).record(.finished(status, client: origin.client, worker: nil))
        return true
    }

    // MARK: sessions

    /// Files the request that opened a session once the session has closed.
    public func fileSession(_ id: SessionID, from place: JobFacts.Place) throws(SpoolError) -> Bool {
        let moved = try move(id.opener, from: place, to: .done)
        if moved { FileSystem.syncDirectory(layout.done) }
        return moved
    }

    /// Makes the state a session's last command left (`<file>.next`, written by its
    /// shell) the session's saved state.
    public func commitSessionState(_ session: SessionID, _ file: SessionFile) throws(SpoolError) {
        let next = layout.session(session, file) + ".next"
        guard FileSystem.exists(next) else { return }
        _ = try FileSystem.rename(next, to: layout.session(session, file))
    }

    // MARK: quarantine

    /// Moves a file that cannot be used to `bad/`, with `<name>.reason` beside it.
    /// Never throws: a file that cannot even be moved aside is left where it is.
    @discardableResult
    public func quarantine(_ path: String, reason: String) -> Bool {
        guard let slash = path.lastIndex(of: "/") else { return false }
        var name = String(path[path.index(after: slash)...])
        if FileSystem.exists(layout.bad + "/" + name) { name += ".\(Timestamp.now.nanoseconds)" }
        let target = layout.bad + "/" + name
        do {
            guard try FileSystem.rename(path, to: target) else { return false }
        } catch {
            SpoolLog.logger.error("cannot move \(path) aside to bad/ (\(reason)): \(error)")
            return false
        }
        // A request Spool would not accept (dropped into the queue by hand, say): who
        // wrote it is unknown, so the line has no client.
        AuditLog(layout: layout).record(.refused("\(reason) (found at \(path); moved to bad/\(name))", client: nil,
                                                 job: JobID(fileName: name)))
        let text = "\(reason)\nfound at \(path) on \(Timestamp.now)\n"
        do {
            try AtomicFile.write(Array(text.utf8), to: target + ".reason", layout: layout)
        } catch {
            SpoolLog.logger.error("moved \(path) to \(target) but cannot write its reason (\(reason)): \(error)")
        }
        return true
    }
}
