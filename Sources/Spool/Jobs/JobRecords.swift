import Glibc

/// Reads and writes a job's own folder, `jobs/<id>/`.
public struct JobRecords: Sendable {
    public let layout: SpoolLayout

    public init(layout: SpoolLayout) {
        self.layout = layout
    }

    public func status(_ id: JobID) throws(SpoolError) -> JobStatus? {
        try SpoolJSON.load(JobStatus.self, from: layout.job(id, .status))
    }

    public func writeStatus(_ status: JobStatus, durable: Bool = true) throws(SpoolError) {
        try AtomicFile.write(json: status, to: layout.job(status.job, .status), layout: layout, durable: durable)
    }

    public func exit(_ id: JobID) throws(SpoolError) -> SupervisorExit? {
        try SpoolJSON.load(SupervisorExit.self, from: layout.job(id, .exit))
    }

    public func request(_ id: JobID) throws(SpoolError) -> JobRequest? {
        let path = layout.job(id, .request)
        guard FileSystem.exists(path) else { return nil }
        return try JobRequest.load(path: path, defaults: RequestDefaults(job: id, priority: .async))
    }

    /// The request wherever it is now: the job folder's link (made when a worker claims it),
    /// else looked for in the order requests move (its queue, a worker's folder, with
    /// `session` that session's queue and `running/`, then `done/`), so one that moves
    /// meanwhile is still found. Nil: no readable request anywhere.
    public func requestAnywhere(_ id: JobID, session: SessionID? = nil) -> JobRequest? {
        if let request = try? request(id) { return request }
        var places = Priority.allCases.map { JobFacts.Place.queued($0) }
            + FileSystem.list(layout.active).compactMap(WorkerName.init).map { JobFacts.Place.claimed($0) }
        if let session { places += [.sessionQueued(session: session), .sessionRunning(session: session)] }
        places.append(.done)
        let transitions = JobTransitions(layout: layout)
        for place in places {
            // A hand-written request without a priority takes its queue's.
            let priority: Priority = if case .queued(let queue) = place { queue } else { .async }
            guard let path = transitions.path(id, in: place),
                  let request = try? JobRequest.load(path: path, defaults: RequestDefaults(job: id, priority: priority)) else { continue }
            return request
        }
        return nil
    }

    public func outputSize(_ id: JobID, _ stream: JobStream) -> Int64 {
        FileSystem.size(layout.job(id, stream.file)) ?? 0
    }

    public func isCancelRequested(_ id: JobID) -> Bool {
        FileSystem.exists(layout.job(id, .cancel))
    }

    /// When the `cancel` marker was written (from its age), or nil without one.
    public func cancelRequestedAt(_ id: JobID) -> Timestamp? {
        FileSystem.age(layout.job(id, .cancel)).map { Timestamp(nanoseconds: Timestamp.now.nanoseconds - Int64($0 * 1e9)) }
    }

    /// Why a request for `id` would be a second copy of a job this spool already has (a
    /// finished job's `done/` file copied back into `queue/`, say), or nil. Running it
    /// would overwrite the first job's record, so such a copy is never run.
    /// - Parameter claimedBy: the worker whose `active/` folder holds the copy being checked.
    public func duplicateRecord(of id: JobID, claimedBy worker: WorkerName) -> String? {
        if FileSystem.exists(layout.done(id)) { return "it has already finished (\(layout.done(id)))" }
        if FileSystem.exists(layout.job(id, .exit)) || FileSystem.exists(layout.job(id, .status)) {
            return "it has already run (\(layout.job(id, .status)))"
        }
        for name in FileSystem.list(layout.active) where name != worker.rawValue {
            if let other = WorkerName(name), FileSystem.exists(layout.active(id, worker: other)) {
                return "worker \(other) holds it (\(layout.active(id, worker: other)))"
            }
        }
        return nil
    }

    /// True while the job's supervisor is alive (it holds a flock on `jobs/<id>/`).
    public func isSupervised(_ id: JobID) -> Bool {
        FileLock.isHeld(layout.job(id))
    }
}

/// A job's two output files.
public enum JobStream: String, Sendable, Codable, CaseIterable {
    case stdout
    case stderr

    public var file: JobFile { self == .stdout ? .stdout : .stderr }
}
