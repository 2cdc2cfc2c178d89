import Foundation
import Logging
import Spool

/// Keeps one persistent shell session: starts the shell, feeds it the session's commands
/// one at a time, records each command like any job, saves the session's state after
/// each one, and restarts the shell from that state when it dies. Every decision (what
/// runs next, when to stop a command, idle limits, restarts) is `SessionMachine`'s; this
/// actor only carries out its actions and tells it what it observed. The lines written to
/// the shell are `SessionShellScript`'s.
///
/// Crash safety: the shell holds the flock on `sessions/<id>/shell.log` (it is the
/// shell's stderr, a description shared with the worker), so the session counts as
/// hosted while either lives. When the worker dies, the shell's stdin closes, it exits
/// after its current command (whose `exit.code` still gets written), the lock frees, and
/// `Recovery` puts the session back in the sync queue for another worker.
actor SessionHost {
    let layout: SpoolLayout
    let request: JobRequest
    let worker: WorkerName
    let logger: Logger
    /// Flushes each command's final record after it is filed (see `JobTransitions.committer`).
    let committer: GroupCommitter
    /// The job policy the shell (and so every command of the session) runs under.
    let confinement: Confinement
    var machine: SessionMachine<ContinuousClock>

    var id: SessionID { SessionID(opening: request.job) }
    var store: SessionStore { SessionStore(layout: layout) }
    var records: JobRecords { JobRecords(layout: layout) }
    var transitions: JobTransitions { JobTransitions(layout: layout, committer: committer) }
    /// The command the shell runs, with what its record needs.
    var current: Current?
    /// The current shell.
    var shell: ShellHandle?
    /// Feeds the current shell's event stream (file events, its death, deadlines).
    var wake: AsyncStream<HostEvent>.Continuation?

    struct Current: Sendable {
        let job: JobID
        let request: JobRequest
        let startedAt: Timestamp
    }

    struct ShellHandle: Sendable {
        /// Also its process group.
        let pid: Int32
        /// The write end of its stdin.
        let control: Int32
        let script: SessionShellScript
    }

    enum HostEvent: Sendable {
        case file(WatchEvent)
        case shellEnded
        case deadline
    }

    /// - Parameters:
    ///   - idleLimit: seconds without a command after which the session is closed (half: reported).
    ///   - killGrace: seconds between TERM and KILL when a command is stopped.
    init(layout: SpoolLayout, request: JobRequest, worker: WorkerName, idleLimit: Double, killGrace: Double,
         committer: GroupCommitter, confinement: Confinement, logger: Logger) {
        self.layout = layout
        self.confinement = confinement
        self.committer = committer
        self.request = request
        self.worker = worker
        self.logger = logger
        // A session reopened after its worker died has run commands if it saved state.
        machine = SessionMachine(clock: ContinuousClock(), idleLimit: .seconds(idleLimit), killGrace: .seconds(killGrace),
                                 shellLog: layout.session(SessionID(opening: request.job), .shellLog),
                                 used: FileSystem.exists(layout.session(SessionID(opening: request.job), .env)))
    }

    func serve() async {
        guard let lock = await acquireLock() else { return }
        defer { withExtendedLifetime(lock) {} }
        let watcher: SpoolWatcher
        do {
            watcher = try SpoolWatcher.shared()
            try await watcher.watch(layout.sessionQueue(id), mask: WatchMask.arrivals)
            try await watcher.watch(layout.session(id), mask: WatchMask.arrivals)
        } catch {
            logger.error("session \(id): cannot watch its folder: \(error)")
            return
        }
        finishInterrupted()
        update { record in
            record.state = .ready
            record.worker = self.worker
            record.readyAt = record.readyAt ?? .now
            record.lastActivityAt = .now
            record.abandonedAt = nil
        }
        logger.info("session \(id) ready on \(worker)")
        while !machine.isClosed {
            let actions = machine.beginShell(endRequested: store.isEndRequested(id))
            guard actions == [.startShell] else {
                await carryOut(actions, watcher: watcher)
                break
            }
            guard let exit = await runShell(lock: lock, watcher: watcher) else { continue } // closed
            let code = current.flatMap { exitCode($0.job) }
            await carryOut(machine.shellEnded(exit, exitCode: code), watcher: watcher)
        }
        await watcher.unwatch(layout.sessionQueue(id))
        await watcher.unwatch(layout.session(id))
    }

    /// Drives the machine while one shell lives: observe, act, and wait for the next file
    /// event or the machine's next deadline. Returns when the shell has ended.
    func drive(events: inout AsyncStream<HostEvent>.Iterator, watcher: SpoolWatcher) async {
        machine.shellReady()
        while true {
            // Read only what the machine's state can use: each wake costs a few stats.
            let job = current?.job, idle = machine.state == .idle
            let actions = machine.observe(
                nextQueued: idle ? store.queued(id).first : nil, endRequested: idle && store.isEndRequested(id),
                cancelRequested: job.map(records.isCancelRequested) ?? false, exitCode: job.flatMap(exitCode))
            if !actions.isEmpty {
                await carryOut(actions, watcher: watcher)
                continue
            }
            let within = machine.nextWake.map { max(0, ($0 - ContinuousClock.now) / .seconds(1)) } ?? 3600
            if case .shellEnded = await nextEvent(&events, within: within) { return }
        }
    }

    /// Carries out what the machine decided.
    func carryOut(_ actions: [SessionMachine<ContinuousClock>.Action], watcher: SpoolWatcher) async {
        for action in actions {
            switch action {
            case .startShell:
                break // `serve` starts shells
            case .startCommand(let job):
                if let started = await claimAndStart(job, watcher: watcher) {
                    current = started
                    machine.commandStarted(timeout: started.request.timeout)
                } else {
                    machine.commandSkipped()
                }
            case .terminateGroup:
                if let shell { killpg(shell.pid, SIGTERM) }
            case .killGroup:
                if let shell { killpg(shell.pid, SIGKILL) }
            case .exitShell:
                if let shell { _ = Self.send(SessionShellScript.exit, to: shell.control) }
            case .record(let job, let outcome, let commit, let reason):
                if commit { commitState() }
                if let current, current.job == job { record(current, outcome: outcome, reason: reason) }
                await watcher.unwatch(layout.job(job))
                current = nil
            case .reportAbandoned(let idle):
                update { $0.abandonedAt = .now }
                logger.notice("session \(id) looks abandoned: idle for \(idle) s; it closes after \(Int(machine.idleLimit / .seconds(1))) s")
            case .restart(let exit):
                update { $0.restarts += 1 }
                logger.notice("session \(id): shell ended (\(exit)); restarting it from its saved state")
            case .close(let reason):
                attempt("recording session \(id) as closed") { () throws(SpoolError) in try store.close(id, reason: reason) }
                attempt("filing session \(id) in done/") { () throws(SpoolError) in _ = try transitions.fileSession(id, from: .claimed(worker)) }
                FileSystem.removeTree(layout.session(id, .tmp)) // its private TMPDIR goes with it
                logger.info("session \(id) closed: \(reason)")
            }
        }
    }

    /// The session lock; an earlier shell of this session may still be finishing its
    /// last command after its worker died, and the session must not run twice at once.
    private func acquireLock() async -> FileLock? {
        while true {
            // An error opening the lock is retried like a held lock, every 500 ms.
            if let lock = try? FileLock.tryAcquire(layout.session(id, .shellLog)) { return lock }
            if store.isEndRequested(id) && (try? store.record(id))?.state == .closed { return nil } // unreadable: not closed yet
            // Rare (only right after a crash): waiting on a lock has no file event.
            await Pause.for(.milliseconds(500))
        }
    }

    /// Carries out a write of the session's state; a failure is logged (the session goes on,
    /// and the next command or restart writes its state again).
    func attempt(_ what: String, _ body: () throws(SpoolError) -> Void) {
        do { try body() } catch { logger.error("session \(id): \(what) failed: \(error)") }
    }
}
