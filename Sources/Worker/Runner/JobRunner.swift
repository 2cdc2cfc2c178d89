import Foundation
import Logging
import Spool
import CSpoolSpawn
import Glibc

/// Runs one claimed job through `spool-supervisor` (forked by this worker's `ForkServer`)
/// and records its end.
///
/// The supervisor runs in its own session and owns the command's process group, so the
/// command neither sees this worker's signals nor depends on it staying alive: if the
/// worker is killed, the supervisor still records the exit, and `Recovery` in a live
/// process finishes the bookkeeping.
struct JobRunner: Sendable {
    let layout: SpoolLayout
    let worker: WorkerName
    /// Seconds between TERM and KILL when a job times out or is cancelled.
    let killGrace: Double
    /// Bytes kept per output stream; 0 = unlimited (output then goes straight to the files).
    let outputLimit: Int64
    let logger: Logger
    /// Flushes final records after they are filed, in shared rounds.
    let committer: GroupCommitter
    /// Forks each job's supervisor.
    let forkServer: ForkServer
    /// The job policy (the fork server applies it; status.json carries it).
    let confinement: Confinement

    var records: JobRecords { JobRecords(layout: layout) }
    var transitions: JobTransitions { JobTransitions(layout: layout, committer: committer) }

    /// How a run ended for the worker.
    enum End: Sendable {
        /// Finished and filed in done/.
        case recorded
        /// The outcome could not be filed yet (the spool could not be written, say): the
        /// worker retries the bookkeeping until it succeeds.
        case pending
    }

    /// - Parameter commandEnded: called once the command's end is known (recorded, or known
    ///   lost), before it is filed: the slot it held may take the next job meanwhile. It
    ///   must not block: the filing goes on right after it.
    func run(_ request: JobRequest, commandEnded: @Sendable () -> Void = {}) async -> End {
        let id = request.job
        do {
            try await runSupervised(request, commandEnded: commandEnded)
            return .recorded
        } catch {
            logger.error("job \(id): \(error)")
            // With an exit record the outcome is known: never turn it into `lost`, retry.
            if FileSystem.exists(layout.job(id, .exit)) { return .pending } // even unreadable: the retry reads again
            do {
                try file(request, .lost(reason: "spool-worker could not start the job: \(error)"))
                return .recorded
            } catch {
                logger.error("job \(id): cannot record its end yet: \(error); retrying")
                return .pending
            }
        }
    }

    private func runSupervised(_ request: JobRequest, commandEnded: @Sendable () -> Void) async throws {
        let id = request.job
        let directory = layout.job(id)
        try FileSystem.makeJobFolder(id, layout: layout)
        // Markers are relayed until the keeper is done: by `recordStart` those from before
        // the start, by the keeper's own look at `cancel` when it forks the command, and by
        // a watch of the folder from when its running status is shown (`showDelay`), or
        // when its supervisor has gone and the keeper carries on. A job that ends sooner
        // costs no watch and no wake-up.
        let (begin, beginRelay) = AsyncStream<Void>.makeStream()
        let relay = Task {
            var begun = begin.makeAsyncIterator()
            guard await begun.next() != nil else { return } // ended first
            await relayMarkers(id)
        }
        defer {
            beginRelay.finish()
            relay.cancel()
        }
        let termination: String
        let running: JobStatus?
        let runningShown: Bool
        let handedOver: Bool
        do {
            // The job's lock is held from here until the command has ended (the supervisor
            // and its keeper inherit it). Whoever holds it decides about the job: if a process
            // recovering a dead worker holds it, or requeued the request before we got it, we back off.
            guard let lock = try FileLock.tryAcquire(directory, create: false),
                  FileSystem.exists(layout.active(id, worker: worker))
            else {
                logger.warning("job \(id) is being handled by another process; leaving it")
                return
            }
            // The keeper hands its record over once the command has ended: filed here as the
            // final status, it is written once (no exit.json). Should that fail, the keeper
            // writes exit.json and the record is filed from there below.
            let handOver: @Sendable (SupervisorExit, JobStatus?, Bool) -> Bool = { [self] exit, running, shown in
                commandEnded()
                do {
                    try file(request, JobEnding(exit), running: running, shown: shown)
                    return true
                } catch {
                    logger.error("job \(id): cannot file its end yet: \(error); its keeper writes exit.json, filed from there")
                    return false
                }
            }
            guard let spawned = try await spawn(request, lock: lock, beginRelay: beginRelay, handOver: handOver) else { return }
            (termination, running, runningShown, handedOver) = spawned
            withExtendedLifetime(lock) {}
        }
        defer { if let pid = running?.pid { OrphanReaper.release(pid) } }
        // The job's private TMPDIR goes with the job (its command has ended: the lock is free or the record is there).
        defer { if confinement.policy.isSet { FileSystem.removeTree(directory + "/tmp") } }
        // Our own hold on the lock has ended: from now on it is held only by a live keeper.
        if let supervisor = running?.supervisorPid { OrphanReaper.collectSupervisor(supervisor) }
        if handedOver { return } // filed when the keeper handed its record over
        var facts = JobFacts(job: id, place: .claimed(worker))
        facts.exit = JobFacts.Record { () throws(SpoolError) in try records.exit(id) }
        // The lock matters only without an exit record (a probe costs an open and a flock per job).
        if facts.exit == .absent {
            facts.lock = records.isSupervised(id) ? .heldElsewhere : .free
            if facts.lock == .free { facts.group = JobFacts.probeGroup(running) }
        }
        switch JobLifecycle.afterSupervisor(facts, termination: "\(termination)") {
        case .file(let ending):
            commandEnded()
            try file(request, ending, running: running, shown: runningShown)
        case .retry(let error):
            throw error
        case .lose(let reason):
            commandEnded()
            logger.error("job \(id): lost: \(reason)") // the reason points here
            try file(request, .lost(reason: reason))
        case .awaitRecord:
            // Cancels are still carried out meanwhile, by whoever keeps the command.
            logger.warning("job \(id): spool-supervisor ended (\(termination)) while the job runs on (under its keeper, or inherited by the fork server or this worker); waiting for its exit record")
            beginRelay.yield() // unless the running status began it: the keeper still needs them
            let record = await awaitRecord(request, running: running)
            commandEnded()
            switch record {
            case .recorded(let exit):
                try file(request, JobEnding(exit), running: running, shown: runningShown)
            case .lost(let reason):
                logger.error("job \(id): lost: \(reason)")
                try file(request, .lost(reason: reason))
            }
        }
    }

    /// Files a job that ended without an exit record.
    private func file(_ request: JobRequest, _ outcome: JobOutcome) throws(SpoolError) {
        try file(request, JobEnding(outcome: outcome, finishedAt: .now), running: nil, shown: true)
    }

    /// Files a job's end. `running` is the running status this worker made for it (nil: read
    /// it from disk), written to `status.json` when `shown`: it is not read back.
    private func file(_ request: JobRequest, _ ending: JobEnding, running: JobStatus?, shown: Bool) throws(SpoolError) {
        try transitions.finish(request.job, from: .claimed(worker), origin: JobOrigin(request), worker: worker, ending: ending,
                               previous: running, previousWritten: shown)
    }

    /// Starts the supervisor and waits for it and its keeper to exit; returns how they ended
    /// (for messages), or nil when the job ended before it started.
    /// - Parameters:
    ///   - beginRelay: told when the running status is shown, so that the relay of
    ///     markers begins with it.
    ///   - handOver: files the record the keeper hands over (with the running status and
    ///     whether it was written); true once filed, which the keeper is told.
    private func spawn(_ request: JobRequest, lock: FileLock, beginRelay: AsyncStream<Void>.Continuation,
                       handOver: @Sendable (SupervisorExit, JobStatus?, Bool) -> Bool) async throws
        -> (termination: String, running: JobStatus?, shown: Bool, handedOver: Bool)? {
        let id = request.job
        let directory = layout.job(id)
        // The request as claimed, for `cat jobs/<id>/request.json`; a hard link costs no copy.
        _ = link(layout.active(id, worker: worker), layout.job(id, .request)) // EEXIST after a requeue: the same request
        let stdinMode: String
        if request.stdinIsPipe {
            // A FIFO: send_input writes into it from any process while the job runs.
            guard mkfifo(layout.job(id, .stdin), 0o600) == 0 || errno == EEXIST else {
                throw SpoolError.io(operation: "creating the stdin FIFO", path: layout.job(id, .stdin), errno: errno)
            }
            // On a terminal the keeper types what arrives there into it.
            stdinMode = request.terminal?.supervisorMode ?? "pipe"
        } else if let input = request.stdin {
            try AtomicFile.write(Array(input.utf8), to: layout.job(id, .stdin), layout: layout, durable: false)
            stdinMode = "file"
        } else {
            stdinMode = "null"
        }
        if records.isCancelRequested(id) {
            try file(request, .cancelled(code: nil, signal: nil, started: false))
            return nil
        }
        var environment = request.env ?? [:]
        environment["SPOOL_JOB"] = id.rawValue
        let arguments = [
            directory,
            String(request.timeout ?? 0),
            String(killGrace),
            stdinMode,
            request.cwd ?? "",
            request.effectiveShell,
            String(outputLimit),
            request.command,
        ]
        // Twice at most: a fork server that dies before answering may not have forked
        // (then the pipe ends with nothing on it, and the job is started anew).
        for _ in 0..<2 {
            // A socket, not a pipe: the keeper (with a descriptor of its own) reports the
            // pids and hands its record over on it, and the worker answers.
            var ends: [Int32] = [-1, -1]
            let made = spool_socketpair_cloexec(&ends)
            guard made == 0 else {
                throw SpoolError.io(operation: "creating the supervisor's socket", path: directory, errno: -made)
            }
            let supervisorPid: pid_t?
            do {
                supervisorPid = try await forkServer.spawn(arguments: arguments, environment: environment, lock: lock.descriptor, pipe: ends[1])
            } catch {
                close(ends[0])
                close(ends[1])
                throw error
            }
            close(ends[1]) // the supervisor and its keeper hold the other end: end of file = both have exited
            // The reader closes its descriptor at the end of file; answers go through our own,
            // which no other file can take the number of meanwhile.
            let answers = fcntl(ends[0], F_DUPFD_CLOEXEC, 0)
            defer { if answers >= 0 { close(answers) } }
            func answer(_ line: [UInt8]) {
                if answers < 0 || send(answers, line, line.count, Int32(MSG_NOSIGNAL)) != line.count {
                    // The keeper then writes exit.json: it waits for an answer only so long.
                    logger.warning("job \(id): cannot answer its keeper's hand-over (errno \(errno))")
                }
            }
            var lines = SupervisorLines()
            var reported = false
            var handedOver = false
            var running: JobStatus?
            let shown = RunningStatusShow()
            var show: Task<Void, Never>?
            for await chunk in PipeReader.chunks(ends[0]) {
                for message in lines.feed(chunk) {
                    switch message {
                    case .started(let pid, let keeperPid) where !reported:
                        reported = true
                        let status = recordStart(request, pid: pid, keeperPid: keeperPid, supervisorPid: supervisorPid)
                        running = status
                        let delay = Self.showDelay(request)
                        show = Task { [self] in
                            await Pause.for(delay)
                            shown.showUnlessEnded {
                                showRunning(status)
                                beginRelay.yield()
                            }
                        }
                    case .ended(let exit) where !handedOver:
                        show?.cancel()
                        shown.end() // no running status after this: the final one comes next
                        handedOver = handOver(exit, running, shown.wasShown)
                        answer(handedOver ? SupervisorLines.filed : SupervisorLines.write)
                    case .unreadable(let line, let reason) where !reported:
                        reported = true // as before: a start whose pids are unknown
                        logger.error("job \(id): its supervisor reported \"\(line)\" at the start: \(reason)")
                    case .unreadable(let line, let reason) where !handedOver:
                        // A garbled record: the keeper writes it as exit.json instead.
                        logger.error("job \(id): its supervisor passed on \"\(line)\": \(reason)")
                        answer(SupervisorLines.write)
                    case .started, .ended, .unreadable:
                        logger.error("job \(id): its supervisor said something out of turn: \(message)")
                    }
                }
            }
            show?.cancel()
            shown.end()
            if reported { return ("the supervisor exited", running, shown.wasShown, handedOver) }
            if supervisorPid != nil {
                // It died after its keeper forked the command but before it passed the pids
                // on: the keeper's note of the start has them. Without them the command's
                // group could not be found, and a job still running would be called lost.
                if let note = records.keeperStart(id) {
                    let status = recordStart(request, pid: note.pid, keeperPid: note.keeperPid,
                                             supervisorPid: note.supervisorPid, startedAt: note.startedAt)
                    return ("the supervisor exited before it reported the command's start (its keeper's note has it)", status, false, false)
                }
                return ("the supervisor exited before it reported the command's start, so whether the command ran is unknown", nil, false, false)
            }
            logger.warning("job \(id): the fork server went away before it answered; starting the job anew")
        }
        throw SpoolError.io(operation: "starting the supervisor (the fork server kept going away)", path: directory, errno: EPIPE)
    }

    /// How long a job runs before it gets a running status (and its folder a watch for
    /// markers): at once for one that needs its pids shown (input arrives through the relays
    /// and the terminal's state is probed from them), else `Settings.runningStatusDelay`.
    private static func showDelay(_ request: JobRequest) -> Duration {
        request.stdinIsPipe ? .zero : Settings.runningStatusDelay
    }

    /// The running status once the command's pids are known (from the supervisor, or from
    /// the keeper's note when the supervisor died first), and the `started` audit line; the
    /// status is written by `showRunning`, once the job has run for a while.
    private func recordStart(_ request: JobRequest, pid: Int32, keeperPid: Int32?, supervisorPid: pid_t?, startedAt: Timestamp = .now) -> JobStatus {
        let id = request.job
        var status = JobStatus(
            job: id, state: .running, priority: request.priority, worker: worker, pid: pid,
            supervisorPid: supervisorPid, createdAt: request.createdAt, startedAt: startedAt)
        status.keeperPid = keeperPid
        if request.tty == true { status.tty = true }
        if confinement.policy.isSet { status.policy = confinement.policy }
        // Never collected by this worker's sweep of orphans before its exit is recorded.
        OrphanReaper.keep(pid)
        AuditLog(layout: layout).record(.started(request, worker: worker, pid: pid))
        // Markers that came before there was a keeper to tell; later ones are relayed
        // by `relayMarkers` as they arrive.
        MarkerRelay.relay(id, status: status, records: records)
        return status
    }

    /// Writes the running status of a job that runs on. Should it fail, the job is still
    /// reported running (from the keeper's note of the start) and its end is filed as usual.
    private func showRunning(_ status: JobStatus) {
        do { try records.writeStatus(status, durable: false) } catch {
            logger.error("job \(status.job): cannot write its running status: \(error); it is reported running from its keeper's note of the start")
        }
    }

    /// Relays the job's marker files to its keeper while it runs: the worker is the job's
    /// owner, and one inotify watch here is far cheaper than an inotify instance per keeper.
    /// Markers are new names (renamed in, or made by hand), so the watch leaves out the
    /// closes of the job's output and exit record.
    private func relayMarkers(_ id: JobID) async {
        let directory = layout.job(id)
        guard let watcher = try? SpoolWatcher.shared() else { return } // the worker itself runs on it
        let events = watcher.events(in: directory, named: [JobFile.cancel.rawValue, JobFile.stdinEOF.rawValue], limit: 64)
        do { try await watcher.watch(directory, mask: WatchMask.creations) } catch {
            logger.warning("job \(id): cannot watch for cancel and end of input: \(error); the next recovery sweep relays them")
            return
        }
        defer { Task { await watcher.unwatch(directory) } }
        let records = self.records
        func relayIfAsked() {
            // The keeper's note of the start names its pids before status.json does.
            guard MarkerRelay.hasMarkers(id, records: records),
                  let status = try? records.runningStatus(id, worker: worker, claimed: { nil }), status.keeperPid != nil
            else { return } // not started yet: recordStart relays what came before
            MarkerRelay.relay(id, status: status, records: records)
        }
        relayIfAsked() // what came between the start and the watch (the running status may come first)
        for await _ in events { relayIfAsked() } // a marker, or an overflow
    }

    enum RecordWait {
        case recorded(SupervisorExit)
        case lost(String)
    }

    /// Waits for the exit record of a job whose supervisor has ended while something of
    /// it lives: its keeper (which records the exit), or its command, inherited by the fork
    /// server (which records it) or by this worker, which then keeps it as the keeper
    /// would (timeout, cancel) and records its real exit status before reaping it.
    /// Woken by the record's or a cancel's arrival, by the command's end (a pidfd), at the
    /// next timeout or grace deadline, and at the latest every second to re-check the rest.
    private func awaitRecord(_ request: JobRequest, running: JobStatus?) async -> RecordWait {
        let id = request.job
        let directory = layout.job(id)
        guard let watcher = try? SpoolWatcher.shared() else { return .lost("spool-worker cannot watch the spool any more") }
        let events = watcher.events(in: directory, named: [JobFile.exit.rawValue, JobFile.cancel.rawValue], limit: 64)
        try? await watcher.watch(directory, mask: WatchMask.creations) // without it the re-checks still end the wait
        defer { Task { await watcher.unwatch(directory) } }
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let forward = Task {
            for await _ in events { wake.yield() } // the record, a cancel, or an overflow
        }
        let ended = running?.pid.flatMap { ProcessExitWatch(pid: $0) { wake.yield() } }
        defer {
            forward.cancel()
            ended?.cancel()
        }
        var keeper = OrphanKeeper(status: running, timeout: request.timeout, grace: killGrace)
        while true {
            if let exit = try? records.exit(id) { return .recorded(exit) } // unreadable: wait for the next write
            if let exit = keeper.check(cancelRequestedAt: records.cancelRequestedAt(id), now: .now) {
                // This worker inherited the command and it has ended: record, then reap.
                do {
                    try AtomicFile.write(json: exit, to: layout.job(id, .exit), layout: layout, durable: false)
                } catch {
                    logger.error("job \(id): cannot write its exit record: \(error); retrying")
                    await Pause.for(.seconds(1))
                    continue
                }
                keeper.reap()
                return .recorded(exit)
            }
            if !keeper.isChild && !records.isSupervised(id) && JobFacts.probeGroup(running) == .gone {
                if let exit = try? records.exit(id) { return .recorded(exit) }
                return .lost("the job's keeper and supervisor died while it ran and nobody recorded its exit status; its processes have ended")
            }
            let wait = min(1, keeper.secondsToNextDeadline(now: .now) ?? 1)
            let timer = Task {
                await Pause.for(.milliseconds(Int(max(wait, 0.01) * 1000)))
                wake.yield()
            }
            var iterator = wakes.makeAsyncIterator()
            _ = await iterator.next()
            timer.cancel()
        }
    }
}
