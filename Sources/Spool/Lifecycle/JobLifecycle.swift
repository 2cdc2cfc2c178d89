import Glibc

/// The job lifecycle's rules, as pure functions of `JobFacts`: what state a job is in, what
/// recovering it means, what a cancel does, and what its final record says. No I/O:
/// `JobInspector`, `Recovery`, `JobService` and the worker read the facts, ask here, and
/// carry out the answer with `JobTransitions`. `docs/lifecycle.md` draws the same rules.
public enum JobLifecycle {
    // MARK: reported state

    /// The job's status as `status` reports it, and its 1-based position while it waits.
    /// - Throws: `sessionNotJob`, `unknownJob`, or the error that makes its record unreadable.
    public static func report(_ facts: JobFacts) throws(SpoolError) -> (status: JobStatus, position: Int?) {
        if facts.isSession { throw .sessionNotJob(facts.job) }
        let id = facts.job
        switch facts.place {
        case .done:
            switch facts.status {
            case .present(var status):
                if status.stdoutBytes == nil { status.stdoutBytes = facts.stdoutBytes }
                if status.stderrBytes == nil { status.stderrBytes = facts.stderrBytes }
                return (status, nil)
            case .absent:
                // Cancelled while queued: the rename to done/ comes first, the status a moment later.
                return (JobStatus(job: id, state: .cancelled, priority: .async, createdAt: id.createdAt,
                                  reason: "cancelled before it started"), nil)
            case .unreadable(let error):
                throw error
            }
        case .queued(let priority):
            return (JobStatus(job: id, state: .queued, priority: priority, createdAt: id.createdAt), facts.position)
        case .sessionQueued(let session):
            return (JobStatus(job: id, state: .queued, priority: .sync, createdAt: id.createdAt, session: session), facts.position)
        case .claimed(let worker):
            if let error = facts.status.error { throw error }
            var status = facts.status.value
                ?? JobStatus(job: id, state: .running, priority: .async, worker: worker, createdAt: id.createdAt)
            // A relayed job's state is the one its relay mirrors (queued on another host, say).
            if status.remote == true, !status.state.isFinal, facts.exit == .absent {
                status.stdoutBytes = facts.stdoutBytes
                status.stderrBytes = facts.stderrBytes
                return (status, nil)
            }
            switch facts.exit {
            case .present(let exit):
                // The keeper recorded the end before the bookkeeping caught up.
                let ending = JobEnding(exit)
                status.state = ending.outcome.state
                status.exitCode = ending.outcome.exitCode
                status.signal = ending.outcome.signal
                status.finishedAt = ending.finishedAt
                status.recordDropped(ending)
                if case .failed(let reason, _, _) = ending.outcome { status.reason = reason } else {
                    status.reason = "the command has ended; its outcome is being filed (a worker retries while the spool cannot be written)"
                }
            case .unreadable where status.state.isFinal, .absent where status.state.isFinal:
                // Its worker took the keeper's record over and wrote the final status (no
                // exit.json then); the rename to done/ comes next.
                break
            case .unreadable(let error):
                status.state = .running
                status.reason = "its exit record cannot be read (\(error)); it is reported running until the record is readable"
            case .absent:
                status.state = .running
            }
            status.stdoutBytes = facts.stdoutBytes
            status.stderrBytes = facts.stderrBytes
            return (status, nil)
        case .sessionRunning(let session):
            if let error = facts.status.error { throw error }
            var status = facts.status.value
                ?? JobStatus(job: id, state: .running, priority: .sync, createdAt: id.createdAt, session: session)
            status.state = .running
            status.stdoutBytes = facts.stdoutBytes
            status.stderrBytes = facts.stderrBytes
            return (status, nil)
        case .nowhere:
            throw .unknownJob(id)
        }
    }

    // MARK: recovery

    /// What to do with a request left in a dead worker's `active/` folder (or in the
    /// caller's own, from its previous life).
    public enum RecoveryAction: Sendable, Equatable {
        /// The request is no longer there: someone else recovered it.
        case none
        /// A command of the job is alive (its lock is held elsewhere): leave it, and pass a
        /// cancel or end of input to its supervisor and keeper (`relay`).
        case leave(relay: Bool)
        /// Nobody keeps the job any more (its keeper and supervisor are gone, so is the
        /// worker that could have inherited it), but its process group lives: it stays
        /// `running`, and the recovering owner carries out its cancel and timeout on the group.
        case watchOrphan
        /// The spool cannot be read: change nothing and try again later.
        case retry(SpoolError)
        /// The request file cannot be used; it goes to `bad/`.
        case quarantine(reason: String)
        /// The keeper recorded the end: file it.
        case finish(JobEnding)
        /// The final status was written, but its owner died before the rename to `done/`.
        case file
        /// It started and nobody recorded its end.
        case lose(reason: String)
        /// Cancelled before it started.
        case cancelBeforeStart
        /// It never started: back to its queue (this does not run it twice).
        case requeue(Priority)
    }

    public static func recovery(_ facts: JobFacts, worker: WorkerName) -> RecoveryAction {
        guard facts.place == .claimed(worker) else { return .none }
        // A live owner does its own bookkeeping and relays; only a dead one's jobs are ours.
        guard facts.owner == .dead || facts.owner == .previousLife else { return .leave(relay: false) }
        // Another host runs a relayed job: only its relay (whose next life resumes the
        // mirror) may end it, so a dead relay's jobs are left as they are.
        if let status = facts.status.value, status.remote == true, !status.state.isFinal, facts.owner == .dead {
            return .leave(relay: false)
        }
        // Only the lock's holder decides: a job is never requeued while anything runs it.
        guard facts.lock == .heldByReader else { return .leave(relay: true) }
        let request: JobRequest
        switch facts.request {
        case .present(let value): request = value
        case .unreadable(let error): return .quarantine(reason: "\(error)")
        case .absent: return .none
        }
        switch facts.exit {
        case .present(let exit): return .finish(JobEnding(exit))
        case .unreadable(let error): return .retry(error)
        case .absent: break
        }
        switch facts.status {
        case .unreadable(let error): return .retry(error)
        case .present(let status) where status.state.isFinal: return .file
        case .present(let status) where status.state == .running:
            // Never `lost` while a process of the job may live: it is still running.
            if facts.group != .gone { return .watchOrphan }
            return .lose(reason: "its keeper, its supervisor and worker \(worker) (with its fork server) all died while it ran, so nobody could collect its exit status; its processes have ended")
        case .present, .absent: break
        }
        if facts.cancelRequested { return .cancelBeforeStart }
        return .requeue(request.priority)
    }

    // MARK: after the supervisor

    /// What the worker does once its supervisor process has ended.
    public enum SupervisorEndAction: Sendable, Equatable {
        case file(JobEnding)
        /// No exit record yet, but something of the job lives: its keeper (which records
        /// the exit), or its command, inherited by the fork server or by this worker (both
        /// child subreapers, which record it). Wait for the record.
        case awaitRecord
        case lose(reason: String)
        /// The exit record exists but cannot be read: never `lost`, retry.
        case retry(SpoolError)
    }

    /// - Parameters:
    ///   - facts: read after the worker's own hold on the job's lock ended (a held lock
    ///     means a live keeper), with `group` probed when the lock is free.
    ///   - termination: how the supervisor process ended, for the record.
    public static func afterSupervisor(_ facts: JobFacts, termination: String) -> SupervisorEndAction {
        switch facts.exit {
        case .present(let exit): return .file(JobEnding(exit))
        case .unreadable(let error): return .retry(error)
        case .absent: break
        }
        if facts.lock == .heldElsewhere || facts.group != .gone { return .awaitRecord }
        return .lose(reason: "spool-supervisor ended (\(termination)) without recording an exit status, and no process of the job is left that could; see the worker's log")
    }

    // MARK: cancel

    public enum CancelAction: Sendable, Equatable {
        case alreadyFinished(JobState)
        /// Write the marker, then move the waiting request to `done/` (atomic against a
        /// claim; if the claim wins, the marker stops the command instead).
        case markAndDequeue(from: JobFacts.Place)
        /// Write the marker; the job's owner relays it to the keeper (TERM, then KILL).
        case mark
    }

    public static func cancel(_ facts: JobFacts) throws(SpoolError) -> CancelAction {
        let state = try report(facts).status.state
        if state.isFinal { return .alreadyFinished(state) }
        switch facts.place {
        case .queued, .sessionQueued: return .markAndDequeue(from: facts.place)
        default: return .mark
        }
    }

    // MARK: final record

    /// The final `status.json` of a job that ends with `ending`.
    /// - Parameter previous: the running status, whose start details a final record keeps;
    ///   ignored for ends that never started (rejected, cancelled before the start).
    public static func finalStatus(
        _ origin: JobOrigin, worker: WorkerName?, previous: JobStatus?, ending: JobEnding,
        stdoutBytes: Int64, stderrBytes: Int64
    ) -> JobStatus {
        let outcome = ending.outcome
        var status: JobStatus
        switch outcome {
        case .rejected, .cancelled(_, _, started: false):
            status = JobStatus(job: origin.job, state: outcome.state, priority: origin.priority, worker: worker,
                               createdAt: origin.createdAt)
            if case .rejected = outcome { status.startedAt = ending.finishedAt }
        default:
            status = previous ?? JobStatus(job: origin.job, state: .running, priority: origin.priority, worker: worker,
                                           createdAt: origin.createdAt)
            status.worker = worker
            if case .lost = outcome {} else {
                status.pid = ending.pid ?? status.pid
                status.startedAt = ending.startedAt ?? status.startedAt
            }
        }
        status.session = origin.session
        status.state = outcome.state
        status.exitCode = outcome.exitCode
        status.signal = outcome.signal
        status.finishedAt = ending.finishedAt
        if let reason = ending.reason ?? defaultReason(outcome, timeout: origin.timeout) ?? policyReason(outcome, status.policy) {
            status.reason = reason
        }
        status.recordDropped(ending)
        switch outcome {
        case .rejected: (status.stdoutBytes, status.stderrBytes) = (0, 0)
        case .cancelled(_, _, started: false): break
        default: (status.stdoutBytes, status.stderrBytes) = (stdoutBytes, stderrBytes)
        }
        return status
    }

    /// A file-size limit shows as SIGXFSZ, or as 128 + SIGXFSZ from the shell that ran the killed program.
    static func policyReason(_ outcome: JobOutcome, _ policy: JobPolicy?) -> String? {
        guard let limit = policy?.fileSize else { return nil }
        let xfsz = SIGXFSZ
        guard outcome.signal == xfsz || outcome.exitCode == 128 + xfsz else { return nil }
        return "a file reached the job file-size limit (--job-file-size \(limit) bytes), so the kernel stopped the write (SIGXFSZ)"
    }

    static func defaultReason(_ outcome: JobOutcome, timeout: Double?) -> String? {
        switch outcome {
        case .timedOut: timeout.map { "timed out after \($0) s; the process group was terminated" }
        case .cancelled(_, _, started: true): "cancelled while running; the process group was terminated"
        case .cancelled(_, _, started: false): "cancelled before it started"
        case .failed(let reason, _, _), .lost(let reason), .rejected(let reason): reason
        case .exited, .signalled: nil
        }
    }
}

extension JobStatus {
    /// Output the supervisor read past `--output-limit` and threw away, as the status shows it.
    public mutating func recordDropped(_ ending: JobEnding) {
        guard (ending.stdoutDropped ?? 0) + (ending.stderrDropped ?? 0) > 0 else { return }
        stdoutDropped = ending.stdoutDropped
        stderrDropped = ending.stderrDropped
        truncated = true
    }
}
