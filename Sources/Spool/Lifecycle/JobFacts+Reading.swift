/// The one reader of job facts: every decision about a job starts from what this reads.
extension JobFacts {
    /// What `JobLifecycle.report` needs. It never probes the job's lock (a probe takes
    /// the lock for a moment, which would make a worker about to start the job back off).
    /// - Parameter queued: the queue as just seen (an index kept from inotify, or a listing),
    ///   for the position (else the queue is listed).
    public static func read(_ id: JobID, layout: SpoolLayout, order: QueueOrder = QueueOrder(), queued: QueueSnapshot? = nil) -> JobFacts {
        read(id, layout: layout, order: order, queued: queued, lookAgain: true)
    }

    private static func read(_ id: JobID, layout: SpoolLayout, order: QueueOrder, queued: QueueSnapshot?, lookAgain: Bool) -> JobFacts {
        let records = JobRecords(layout: layout)
        var facts = JobFacts(job: id, place: .nowhere)
        if FileSystem.isDirectory(layout.session(id)) {
            facts.isSession = true
            return facts
        }
        let queue = SpoolQueue(layout: layout, order: order)
        if FileSystem.exists(layout.done(id)) {
            facts.place = .done
            facts.status = Record { () throws(SpoolError) in try records.status(id) }
        } else if let priority = queue.find(id) {
            facts.place = .queued(priority)
            if var kept = queued {
                // It waits here now: an index that has not read its arrival yet counts it in.
                kept.insert(id, priority)
                facts.position = order.position(of: id, in: kept)
            } else {
                facts.position = order.position(of: id, in: queue.entries())
            }
            return facts
        } else if let worker = claimant(of: id, layout: layout) {
            facts.place = .claimed(worker)
            facts.status = Record { () throws(SpoolError) in
                try records.runningStatus(id, worker: worker) {
                    try? JobRequest.load(path: layout.active(id, worker: worker), defaults: RequestDefaults(job: id, priority: .async))
                }
            }
            facts.exit = Record { () throws(SpoolError) in try records.exit(id) }
        } else {
            switch SessionStore(layout: layout).find(id) {
            case .queued(let session, let position):
                facts.place = .sessionQueued(session: session)
                facts.position = position
                return facts
            case .running(let session):
                facts.place = .sessionRunning(session: session)
                facts.status = Record { () throws(SpoolError) in try records.status(id) }
            case nil:
                // The request may be moving between folders right now: look once more.
                if lookAgain, FileSystem.exists(layout.done(id)) || queue.find(id) != nil {
                    return read(id, layout: layout, order: order, queued: nil, lookAgain: false)
                }
                return facts
            }
        }
        // A final record already says how large its output is.
        if facts.place == .done, let status = facts.status.value, status.stdoutBytes != nil, status.stderrBytes != nil { return facts }
        facts.stdoutBytes = records.outputSize(id, .stdout)
        facts.stderrBytes = records.outputSize(id, .stderr)
        return facts
    }

    /// What `JobLifecycle.recovery` needs about a request in `active/<worker>/`.
    /// - Parameter lock: whether the caller holds the job's lock (only then is the request read).
    public static func readClaimed(_ id: JobID, worker: WorkerName, layout: SpoolLayout, lock: Lock, owner: Owner) -> JobFacts {
        let records = JobRecords(layout: layout)
        let path = layout.active(id, worker: worker)
        var facts = JobFacts(job: id, place: FileSystem.exists(path) ? .claimed(worker) : .nowhere, lock: lock, owner: owner)
        facts.status = Record { () throws(SpoolError) in
            try records.runningStatus(id, worker: worker) { try? JobRequest.load(path: path, defaults: RequestDefaults(job: id, priority: .async)) }
        }
        guard lock == .heldByReader, facts.place != .nowhere else { return facts }
        facts.request = Record { () throws(SpoolError) in
            try JobRequest.load(path: path, defaults: RequestDefaults(job: id, priority: .async))
        }
        facts.exit = Record { () throws(SpoolError) in try records.exit(id) }
        facts.cancelRequested = records.isCancelRequested(id)
        if facts.exit == .absent, let status = facts.status.value, status.state == .running {
            facts.group = probeGroup(status)
        }
        return facts
    }

    /// Whether the command's process group lives, from the pids its running status recorded.
    public static func probeGroup(_ status: JobStatus?) -> Group {
        guard let pid = status?.pid else { return .gone }
        // A terminal's command leads its own session; other commands are in the supervisor's.
        let session = status?.tty == true ? pid : status?.supervisorPid
        return ProcessProbe.isGroupAlive(pid, session: session) ? .alive : .gone
    }

    /// The worker whose `active/` folder holds the request, if any.
    static func claimant(of id: JobID, layout: SpoolLayout) -> WorkerName? {
        for name in FileSystem.list(layout.active) {
            if let worker = WorkerName(name), FileSystem.exists(layout.active(id, worker: worker)) { return worker }
        }
        return nil
    }
}

extension JobFacts.Record {
    /// Reads a file that may be missing: nil is `absent`, a thrown error `unreadable`.
    public init(_ read: () throws(SpoolError) -> Value?) {
        do { self = try read().map { .present($0) } ?? .absent } catch { self = .unreadable(error) }
    }
}
