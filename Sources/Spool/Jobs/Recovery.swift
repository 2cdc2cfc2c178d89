/// Finishes the bookkeeping of workers that died. A dead worker's jobs keep running under
/// their supervisors; this turns each request left in `active/<dead>/` into its true
/// outcome, so nothing accepted is ever silently lost:
/// - supervisor still alive → left alone (checked again next sweep);
/// - keeper and supervisor gone, the command's group still alive → left running, with its
///   cancel and timeout carried out on the group (`OrphanGroup`);
/// - supervisor recorded an exit → finished with that exit;
/// - the command had started but nobody recorded its end → `lost`;
/// - the command never started → put back in its queue (it has not run, so this does not
///   run it twice).
public struct Recovery: Sendable {
    public let layout: SpoolLayout
    /// The worker that recovers: requests in its own folder are its previous life's.
    public let caller: WorkerName?

    /// Seconds between TERM and KILL when an orphaned job's group is cancelled or times out.
    public let killGrace: Double

    public init(layout: SpoolLayout, caller: WorkerName? = nil, killGrace: Double = 5) {
        self.layout = layout
        self.caller = caller
        self.killGrace = killGrace
    }


    /// What happened to one orphaned request.
    public enum Outcome: Sendable, Equatable {
        case stillRunning
        case finished(JobState)
        case requeued
        case quarantined
        case gone
        /// The spool could not be read or written (a full disk, say): nothing changed,
        /// and the caller must try again later.
        case retrying(SpoolError)
    }

    public func isAlive(_ worker: WorkerName) -> Bool {
        FileLock.isHeld(layout.workerLock(worker))
    }

    /// Sweeps the folders of every dead worker except `except` (the caller itself).
    @discardableResult
    public func sweepDeadWorkers(except: WorkerName? = nil) -> [JobID: Outcome] {
        var outcomes: [JobID: Outcome] = [:]
        // Workers known by their folder in active/ or by their record in workers/.
        let registered = FileSystem.list(layout.workers).compactMap { name -> String? in
            switch layout.classify(layout.workers + "/" + name) {
            case .workerRecord(let worker), .workerLock(let worker): worker.rawValue
            default: nil
            }
        }
        for name in Set(FileSystem.list(layout.active) + registered) {
            guard let worker = WorkerName(name), worker != except, !isAlive(worker) else { continue }
            outcomes.merge(recover(worker: worker)) { $1 }
            FileSystem.remove(layout.workerRecord(worker))
            // rmdir fails while jobs are still running there; the next sweep retries.
            if rmdirIfEmpty(layout.active(worker: worker)) {
                FileLock.removeIfFree(layout.workerLock(worker))
            }
        }
        return outcomes
    }

    /// Recovers every request in `active/<worker>/`; the worker must be dead (or be the
    /// caller's own previous incarnation).
    public func recover(worker: WorkerName) -> [JobID: Outcome] {
        var outcomes: [JobID: Outcome] = [:]
        for name in FileSystem.list(layout.active(worker: worker)) {
            guard let id = JobID(fileName: name) else {
                JobTransitions(layout: layout).quarantine(layout.active(worker: worker) + "/" + name,
                    reason: "not a request file (names are <job id>.json)")
                continue
            }
            outcomes[id] = recover(id, worker: worker)
        }
        return outcomes
    }

    public func recover(_ id: JobID, worker: WorkerName) -> Outcome {
        guard FileSystem.exists(layout.active(id, worker: worker)) else { return .gone }
        if FileSystem.isDirectory(layout.session(id)) { return recoverSession(id, worker: worker) }
        // Decide while holding the job's lock: a supervisor (or a worker about to start
        // one) holds it too, so a job can never be requeued while something runs it.
        let lock: FileLock?
        do {
            try FileSystem.makeDirectory(layout.job(id))
            lock = try FileLock.tryAcquire(layout.job(id), create: false)
        } catch {
            return .retrying(error)
        }
        defer { withExtendedLifetime(lock) {} }
        let owner: JobFacts.Owner = worker == caller ? .previousLife : isAlive(worker) ? .alive : .dead
        let facts = JobFacts.readClaimed(id, worker: worker, layout: layout, lock: lock == nil ? .heldElsewhere : .heldByReader, owner: owner)
        return carryOut(JobLifecycle.recovery(facts, worker: worker), facts: facts, worker: worker)
    }

    private func carryOut(_ action: JobLifecycle.RecoveryAction, facts: JobFacts, worker: WorkerName) -> Outcome {
        let id = facts.job, transitions = JobTransitions(layout: layout)
        let origin = facts.request.value.map(JobOrigin.init) ?? JobOrigin(job: id, priority: .async)
        do {
            switch action {
            case .none:
                return .gone
            case .leave(let relay):
                // Its owner is dead: pass on a cancel or end of input that came meanwhile.
                if relay, let status = facts.status.value { MarkerRelay.relay(id, status: status, records: JobRecords(layout: layout)) }
                return .stillRunning
            case .watchOrphan:
                if let status = facts.status.value {
                    OrphanGroup(status: status, timeout: facts.request.value?.timeout, grace: killGrace)
                        .enforce(cancelRequestedAt: JobRecords(layout: layout).cancelRequestedAt(id), now: .now)
                }
                return .stillRunning
            case .retry(let error):
                return .retrying(error)
            case .quarantine(let reason):
                transitions.quarantine(layout.active(id, worker: worker), reason: reason)
                return .quarantined
            case .finish(let ending):
                return .finished(try transitions.finish(id, from: facts.place, origin: origin, worker: worker, ending: ending).state)
            case .file:
                try transitions.fileFinished(id, from: facts.place)
                return .finished(facts.status.value?.state ?? .lost)
            case .lose(let reason):
                let ending = JobEnding(outcome: .lost(reason: reason), finishedAt: .now)
                return .finished(try transitions.finish(id, from: facts.place, origin: origin, worker: worker, ending: ending).state)
            case .cancelBeforeStart:
                let ending = JobEnding(outcome: .cancelled(code: nil, signal: nil, started: false), finishedAt: .now)
                try transitions.finish(id, from: facts.place, origin: origin, worker: worker, ending: ending)
                return .finished(.cancelled)
            case .requeue(let priority):
                return try transitions.requeue(id, priority: priority, from: worker) ? .requeued : .gone
            }
        } catch {
            return .retrying(error)
        }
    }

    /// A dead worker's open session: once its shell has ended too (it finishes the
    /// command it was running, then sees its input close), the session goes back to the
    /// sync queue and the next free worker reopens it from its saved state.
    private func recoverSession(_ job: JobID, worker: WorkerName) -> Outcome {
        let sessions = SessionStore(layout: layout), id = SessionID(opening: job)
        // A session its relay handed to another host lives there: the relay's next life follows it.
        if (try? sessions.record(id))??.remote == true { return .stillRunning }
        do {
            guard let lock = try FileLock.tryAcquire(layout.session(id, .shellLog)) else { return .stillRunning }
            defer { withExtendedLifetime(lock) {} }
            if sessions.isEndRequested(id) {
                try sessions.close(id, reason: "ended while its worker \(worker) was down")
                _ = try JobTransitions(layout: layout).fileSession(id, from: .claimed(worker))
                return .finished(.cancelled)
            }
            return try JobTransitions(layout: layout).requeue(job, priority: .sync, from: worker) ? .requeued : .gone
        } catch {
            return .retrying(error)
        }
    }

    private func rmdirIfEmpty(_ path: String) -> Bool {
        FileSystem.list(path).isEmpty && rmdirPath(path)
    }
}

import Glibc
private func rmdirPath(_ path: String) -> Bool { rmdir(path) == 0 || errno == ENOENT }
