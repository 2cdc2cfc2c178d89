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

    public func outputSize(_ id: JobID, _ stream: OutputStream) -> Int64 {
        FileSystem.size(layout.job(id, stream.file)) ?? 0
    }

    public func isCancelRequested(_ id: JobID) -> Bool {
        FileSystem.exists(layout.job(id, .cancel))
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

    /// Ends a claimed job: writes the final status, then moves the request from
    /// `active/<worker>/` to `done/`. Safe to race: two processes finishing the same job
    /// write the same status, and only one rename succeeds.
    /// - Parameters:
    ///   - exit: the supervisor's record; nil means the job was lost.
    ///   - from: where the request is now; `active/<worker>/<id>.json` by default (a
    ///     session's command is in `sessions/<session>/running/`).
    @discardableResult
    public func finish(
        _ id: JobID, worker: WorkerName, request: JobRequest?, exit: SupervisorExit?, reason: String? = nil,
        from: String? = nil
    ) throws(SpoolError) -> JobStatus {
        // A corrupt running status is rebuilt from the request and the exit record.
        let previous = try? status(id)
        var status = previous ?? JobStatus(
            job: id, state: .running, priority: request?.priority ?? .async, worker: worker,
            createdAt: request?.createdAt ?? id.createdAt)
        status.worker = worker
        status.session = request?.session
        if let exit {
            status.state = exit.state
            status.pid = exit.pid
            status.exitCode = exit.exitCode
            status.signal = exit.signal
            status.startedAt = Timestamp(nanoseconds: exit.startedAtNs)
            status.finishedAt = Timestamp(nanoseconds: exit.finishedAtNs)
            if exit.timedOut, let timeout = request?.timeout {
                status.reason = "timed out after \(timeout) s; the process group was terminated"
            } else if exit.cancelled {
                status.reason = "cancelled while running; the process group was terminated"
            }
            if let failure = exit.failure { status.reason = failure }
            status.recordDropped(exit)
        } else {
            status.state = .lost
            status.finishedAt = .now
            status.reason = reason ?? "the job's supervisor died without recording an exit status"
        }
        if let reason, exit != nil { status.reason = reason }
        status.stdoutBytes = outputSize(id, .stdout)
        status.stderrBytes = outputSize(id, .stderr)
        try writeStatus(status)
        if try FileSystem.rename(from ?? layout.active(id, worker: worker), to: layout.done(id)) {
            FileSystem.syncDirectory(layout.done)
            if exit != nil, let startedAt = status.startedAt, let finishedAt = status.finishedAt {
                AveragesFile(layout: layout).record(status.priority, wait: startedAt.seconds(since: status.createdAt),
                                                    run: finishedAt.seconds(since: startedAt))
            }
        }
        return status
    }
}

/// A job's two output files.
public enum OutputStream: String, Sendable, Codable, CaseIterable {
    case stdout
    case stderr

    public var file: JobFile { self == .stdout ? .stdout : .stderr }
}

extension JobRecords {
    /// Ends a claimed request that cannot be run (empty command, bad cwd, …) as `failed`
    /// with the reason, without starting anything.
    /// - Parameter from: where the claimed request is; `active/<worker>/<id>.json` by default.
    public func reject(_ id: JobID, worker: WorkerName, request: JobRequest, reason: String, from: String? = nil) throws(SpoolError) {
        try FileSystem.makeDirectory(layout.job(id))
        let now = Timestamp.now
        try writeStatus(JobStatus(job: id, state: .failed, priority: request.priority, worker: worker,
            createdAt: request.createdAt, startedAt: now, finishedAt: now, stdoutBytes: 0, stderrBytes: 0,
            reason: reason, session: request.session))
        _ = try FileSystem.rename(from ?? layout.active(id, worker: worker), to: layout.done(id))
    }

    /// Ends a claimed request whose cancel arrived before it started.
    public func cancelBeforeStart(_ id: JobID, worker: WorkerName, request: JobRequest, from: String? = nil) throws(SpoolError) {
        try writeStatus(JobStatus(job: id, state: .cancelled, priority: request.priority, worker: worker,
            createdAt: request.createdAt, finishedAt: .now, reason: "cancelled before it started", session: request.session))
        _ = try FileSystem.rename(from ?? layout.active(id, worker: worker), to: layout.done(id))
    }

    /// Ends a request that still waits (at `path`, in a queue folder) as cancelled. The
    /// rename comes first, so exactly one of cancel and claim wins; false when a worker
    /// claimed it first (it then runs, and a cancel must stop it instead).
    public func cancelWaiting(_ id: JobID, at path: String, priority: Priority, session: JobID? = nil,
                              reason: String = "cancelled before it started") throws(SpoolError) -> Bool {
        guard try FileSystem.rename(path, to: layout.done(id)) else { return false }
        try FileSystem.makeDirectory(layout.job(id))
        try writeStatus(JobStatus(job: id, state: .cancelled, priority: priority, createdAt: id.createdAt,
            finishedAt: .now, reason: reason, session: session))
        FileSystem.syncDirectory(layout.done)
        return true
    }
}

extension JobStatus {
    /// Output the supervisor read past `--output-limit` and threw away, as the status shows it.
    public mutating func recordDropped(_ exit: SupervisorExit) {
        guard (exit.stdoutDropped ?? 0) + (exit.stderrDropped ?? 0) > 0 else { return }
        stdoutDropped = exit.stdoutDropped
        stderrDropped = exit.stderrDropped
        truncated = true
    }
}
