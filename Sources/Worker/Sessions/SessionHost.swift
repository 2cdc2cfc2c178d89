import Foundation
import Logging
import Spool
import Subprocess
import SystemPackage

/// Keeps one persistent shell session: starts the shell, feeds it the session's commands
/// one at a time, records each command like any job, saves the session's state after
/// each one, and restarts the shell from that state when it dies.
///
/// How a command runs (no prompt scraping): the worker writes one line to the shell's
/// stdin that sources `jobs/<id>/command.sh` with its own stdin/stdout/stderr redirected
/// to the job's files, then saves `pwd`, `export -p` (and bash functions) as `*.next`
/// files and writes `$?` to `jobs/<id>/exit.code`. The worker learns the result from
/// that file's close event (inotify), never from anything the command can print.
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
    /// Seconds without a command after which the session is closed (half: reported).
    let idleLimit: Double
    let killGrace: Double
    let logger: Logger

    var id: JobID { request.job }
    private var store: SessionStore { SessionStore(layout: layout) }
    private var records: JobRecords { JobRecords(layout: layout) }
    private var lastActivity = ContinuousClock.now
    /// Feeds the current shell's event stream (file events, its death, deadlines).
    private var wake: AsyncStream<HostEvent>.Continuation?

    init(layout: SpoolLayout, request: JobRequest, worker: WorkerName, idleLimit: Double, killGrace: Double, logger: Logger) {
        self.layout = layout
        self.request = request
        self.worker = worker
        self.idleLimit = idleLimit
        self.killGrace = killGrace
        self.logger = logger
    }

    /// What ended one shell.
    enum ShellOutcome: Sendable {
        /// `session_end`, cancel, or idle limit: the session is over.
        case closed(reason: String)
        /// The shell died; `current` is the command it was running, if any.
        case died(current: Current?)
    }

    struct Current: Sendable {
        let job: JobID
        let request: JobRequest
        let startedAt: Timestamp
        var stop: Stop?
    }

    enum Stop: Sendable { case cancelled, timedOut }

    enum HostEvent: Sendable {
        case file(WatchEvent)
        case shellEnded
        case deadline
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
        var reason = "ended"
        var quickDeaths = 0
        while true {
            if store.isEndRequested(id) { reason = "ended by session_end or cancel"; break }
            let started = ContinuousClock.now
            let (outcome, status) = await runShell(lock: lock, watcher: watcher)
            if case .closed(let why) = outcome { reason = why; break }
            if case .died(let current) = outcome {
                if let current { finish(current, status: status) }
                quickDeaths = ContinuousClock.now - started < .seconds(2) && current == nil ? quickDeaths + 1 : 0
                if quickDeaths >= 5 {
                    reason = "its shell keeps exiting at start (\(status.map { "\($0)" } ?? "unknown")); see \(layout.session(id, .shellLog))"
                    break
                }
                update { $0.restarts += 1 }
                logger.notice("session \(id): shell ended (\(status.map { "\($0)" } ?? "?")); restarting it from its saved state")
            }
        }
        attempt("recording session \(id) as closed") { () throws(SpoolError) in try store.close(id, reason: reason) }
        attempt("filing session \(id) in done/") { () throws(SpoolError) in _ = try FileSystem.rename(layout.active(id, worker: worker), to: layout.done(id)) }
        FileSystem.syncDirectory(layout.done)
        await watcher.unwatch(layout.sessionQueue(id))
        await watcher.unwatch(layout.session(id))
        logger.info("session \(id) closed: \(reason)")
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

    // MARK: one shell

    private func runShell(lock: FileLock, watcher: SpoolWatcher) async -> (ShellOutcome, TerminationStatus?) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0, fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0 else {
            return (.closed(reason: "cannot create a pipe: \(String(cString: strerror(errno)))"), nil)
        }
        let control = fds[1]
        defer { close(control) }
        let shell = request.shell ?? (access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh")
        let isBash = shell.hasSuffix("/bash")
        // First start: the worker's environment plus the session's. Restarts: exactly the
        // exported variables the session had (`env.sh`), so unset ones stay unset.
        let restoring = FileSystem.exists(layout.session(id, .env))
        var environment: Environment = restoring ? .custom([:]) : .inherit
        var extra: [Environment.Key: String?] = ["SPOOL_SESSION": id.rawValue]
        for (key, value) in request.env ?? [:] {
            if let key = Environment.Key(rawValue: key) { extra[key] = value }
        }
        if !restoring { environment = environment.updating(extra) }
        var options = PlatformOptions()
        options.createSession = true
        let startDirectory = request.cwd.flatMap { FileSystem.isDirectory($0) ? $0 : nil } ?? "/"
        let events = watcher.events()
        var outcome: ShellOutcome = .died(current: nil)
        do {
            let result = try await Subprocess.run(
                .path(FilePath(shell)),
                arguments: Arguments(isBash ? ["--noprofile", "--norc"] : []),
                environment: environment,
                workingDirectory: FilePath(startDirectory),
                platformOptions: options,
                input: .fileDescriptor(FileDescriptor(rawValue: fds[0]), closeAfterSpawningProcess: true),
                output: .sequence,
                error: .fileDescriptor(FileDescriptor(rawValue: lock.descriptor), closeAfterSpawningProcess: false)
            ) { execution in
                let pid = execution.processIdentifier.value
                let (stream, continuation) = AsyncStream<HostEvent>.makeStream()
                self.setWake(continuation)
                let forward = Task {
                    for await event in events { continuation.yield(.file(event)) }
                }
                let death = Task {
                    // The shell never writes to its stdout (commands are redirected), so
                    // end of file here means the shell has exited.
                    do { for try await _ in execution.standardOutput {} } catch {}
                    continuation.yield(.shellEnded)
                }
                defer {
                    forward.cancel()
                    death.cancel()
                }
                self.update { $0.pid = pid }
                var iterator = stream.makeAsyncIterator()
                let prelude = self.prelude(restoring: restoring, extra: restoring ? extra : [:])
                guard Self.send(prelude, to: control) else { return ShellOutcome.died(current: nil) }
                return await self.commandLoop(pid: pid, control: control, isBash: isBash, events: &iterator, watcher: watcher)
            }
            outcome = result.closureResult
            return (outcome, result.terminationStatus)
        } catch {
            logger.error("session \(id): cannot run \(shell): \(error)")
            return (.closed(reason: "cannot run its shell \(shell): \(error)"), nil)
        }
    }

    /// Restores the saved state in a new shell.
    private func prelude(restoring: Bool, extra: [Environment.Key: String?]) -> String {
        let env = layout.session(id, .env), functions = layout.session(id, .functions), cwd = layout.session(id, .cwd)
        var lines: [String] = []
        if restoring {
            lines.append(". \(quote(env)) 2>/dev/null")
            lines.append("[ -f \(quote(functions)) ] && . \(quote(functions)) 2>/dev/null")
        }
        lines.append("if [ -f \(quote(cwd)) ]; then IFS= read -r __spool_cwd < \(quote(cwd)); cd -- \"$__spool_cwd\" 2>/dev/null; unset __spool_cwd; fi")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Runs the session's commands in order until the shell dies or the session closes.
    private func commandLoop(pid: Int32, control: Int32, isBash: Bool,
                             events: inout AsyncStream<HostEvent>.Iterator, watcher: SpoolWatcher) async -> ShellOutcome {
        while true {
            if store.isEndRequested(id) {
                _ = Self.send("exit 0\n", to: control)
                return .closed(reason: "ended by session_end or cancel")
            }
            if let job = store.queued(id).first {
                lastActivity = .now
                guard let current = await claimAndStart(job, control: control, isBash: isBash, watcher: watcher, pid: pid)
                else { continue }
                if let outcome = await awaitCommand(current, pid: pid, events: &events, watcher: watcher) {
                    return outcome
                }
                continue
            }
            // Idle: wait for a command, the end marker, the shell's death, or the idle limit.
            let idle = (ContinuousClock.now - lastActivity) / .seconds(1)
            if idle >= idleLimit {
                _ = Self.send("exit 0\n", to: control)
                return .closed(reason: "idle for \(Int(idle)) s (--session-idle \(Int(idleLimit)))")
            }
            let report = idleLimit / 2
            if idle >= report, (try? store.record(id))?.abandonedAt == nil { // unreadable: report (again)
                update { $0.abandonedAt = .now }
                logger.notice("session \(id) looks abandoned: idle for \(Int(idle)) s; it closes after \(Int(idleLimit)) s")
            }
            let next = idle < report ? report - idle : idleLimit - idle
            switch await nextEvent(&events, within: next) {
            case .shellEnded: return .died(current: nil)
            default: continue
            }
        }
    }

    /// Moves a queued command to `running/` (atomic against a cancel) and hands it to the shell.
    private func claimAndStart(_ job: JobID, control: Int32, isBash: Bool, watcher: SpoolWatcher, pid: Int32) async -> Current? {
        let queued = layout.sessionQueued(job, in: id), running = layout.sessionRunning(job, in: id)
        let claimed: Bool
        do { claimed = try FileSystem.rename(queued, to: running) } catch {
            logger.error("session \(id): cannot claim command \(job): \(error); it stays queued")
            return nil
        }
        guard claimed else { return nil }
        let request: JobRequest
        do {
            request = try JobRequest.load(path: running, defaults: RequestDefaults(job: job, priority: .sync))
        } catch {
            SpoolQueue(layout: layout).quarantine(running, reason: "\(error)")
            return nil
        }
        let directory = layout.job(job)
        do {
            try FileSystem.makeDirectory(directory)
            _ = link(running, layout.job(job, .request))
            try AtomicFile.write(Array(request.command.utf8), to: layout.job(job, .command), layout: layout, durable: false)
            if let input = request.stdin {
                try AtomicFile.write(Array(input.utf8), to: layout.job(job, .stdin), layout: layout, durable: false)
            }
            for stream in Spool.OutputStream.allCases {
                close(open(layout.job(job, stream.file), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644))
            }
            try await watcher.watch(directory, mask: WatchMask.arrivals)
        } catch {
            attempt("recording command \(job) as lost") { () throws(SpoolError) in
                _ = try records.finish(job, worker: worker, request: request, exit: nil,
                                       reason: "spool-worker could not prepare the command: \(error)", from: running)
            }
            return nil
        }
        if problemOrCancel(job, request: request, from: running) { return nil }
        let startedAt = Timestamp.now
        attempt("writing the running status of command \(job)") { () throws(SpoolError) in
            try records.writeStatus(JobStatus(job: job, state: .running, priority: request.priority, worker: worker,
                pid: pid, createdAt: request.createdAt, startedAt: startedAt, session: id), durable: false)
        }
        let session = layout.session(id)
        let input = request.stdin == nil ? "/dev/null" : layout.job(job, .stdin)
        var line = ". \(quote(layout.job(job, .command))) <\(quote(input)) >>\(quote(layout.job(job, .stdout))) 2>>\(quote(layout.job(job, .stderr)))"
        line += "; __spool_rc=$?; { pwd >\(quote(session + "/cwd.next")); export -p >\(quote(session + "/env.sh.next"))"
        if isBash { line += "; declare -f >\(quote(session + "/functions.sh.next"))" }
        line += "; } 2>/dev/null; printf '%s\\n' \"$__spool_rc\" >\(quote(layout.job(job, .exitCode)))\n"
        // If the shell is gone the write fails; its death event then ends the command.
        _ = Self.send(line, to: control)
        return Current(job: job, request: request, startedAt: startedAt)
    }

    /// Rejects an unusable command or one cancelled before it started; true when handled.
    private func problemOrCancel(_ job: JobID, request: JobRequest, from running: String) -> Bool {
        if let problem = request.problem {
            attempt("rejecting command \(job)") { () throws(SpoolError) in try records.reject(job, worker: worker, request: request, reason: problem, from: running) }
            return true
        }
        if records.isCancelRequested(job) {
            attempt("cancelling command \(job)") { () throws(SpoolError) in try records.cancelBeforeStart(job, worker: worker, request: request, from: running) }
            return true
        }
        return false
    }

    /// Waits for the running command's exit file; enforces its timeout and cancel by
    /// ending the whole shell (its process group), which is then restarted. Returns nil
    /// when the command finished and the shell lives on.
    private func awaitCommand(_ started: Current, pid: Int32, events: inout AsyncStream<HostEvent>.Iterator,
                              watcher: SpoolWatcher) async -> ShellOutcome? {
        var current = started
        let directory = layout.job(current.job)
        defer { Task { [watcher] in await watcher.unwatch(directory) } }
        let deadline = current.request.timeout.map { ContinuousClock.now + .seconds($0) }
        var killAt: ContinuousClock.Instant?
        while true {
            if let code = exitCode(current.job) {
                finish(current, exitCode: code)
                return nil
            }
            if current.stop == nil, records.isCancelRequested(current.job) {
                current.stop = .cancelled
                killpg(pid, SIGTERM)
                killAt = .now + .seconds(killGrace)
            }
            if current.stop == nil, let deadline, ContinuousClock.now >= deadline {
                current.stop = .timedOut
                killpg(pid, SIGTERM)
                killAt = .now + .seconds(killGrace)
            }
            if let at = killAt, ContinuousClock.now >= at {
                killpg(pid, SIGKILL)
                killAt = nil
            }
            let wake = [killAt, current.stop == nil ? deadline : nil].compactMap { $0 }.min()
            let within = wake.map { max(0, ($0 - ContinuousClock.now) / .seconds(1)) } ?? 3600
            if case .shellEnded = await nextEvent(&events, within: within) {
                if let code = exitCode(current.job), current.stop == nil {
                    // `exit` right after the command wrote its status: the command finished.
                    finish(current, exitCode: code)
                    return .died(current: nil)
                }
                return .died(current: current)
            }
        }
    }

    /// The next event, or a `.deadline` after `seconds`: the timer feeds the same stream
    /// as file events, so one await sees whichever comes first. A stale `.deadline` from
    /// an earlier wait is harmless: every loop re-checks its state after each event.
    private func nextEvent(_ events: inout AsyncStream<HostEvent>.Iterator, within seconds: Double) async -> HostEvent? {
        let wake = self.wake
        let timer = Task {
            try await Task.sleep(for: .seconds(min(max(seconds, 0.001), 86400)))
            wake?.yield(.deadline)
        }
        defer { timer.cancel() }
        return await events.next(isolation: self)
    }

    // MARK: recording

    private func exitCode(_ job: JobID) -> Int32? {
        // Not there (or not readable) yet: the command has not ended; its writer's close wakes us.
        guard let bytes = try? FileSystem.read(layout.job(job, .exitCode)) else { return nil }
        return Int32(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Records a command that finished normally, after committing the state it left.
    private func finish(_ current: Current, exitCode: Int32) {
        commitState()
        record(current, exit: SupervisorExit(pid: 0, exitCode: exitCode, signal: nil, timedOut: false, cancelled: false,
            startedAtNs: current.startedAt.nanoseconds, finishedAtNs: Timestamp.now.nanoseconds))
    }

    /// Records a command during which the shell died (cancel, timeout, `exit`, a crash).
    private func finish(_ current: Current, status: TerminationStatus?) {
        var code: Int32?, signal: Int32?
        switch status {
        case .exited(let value): code = value
        case .signaled(let value): signal = value
        case nil: break
        }
        if current.stop == nil, code != nil { commitState() } // `exit N` ends the command normally
        record(current, exit: SupervisorExit(pid: 0, exitCode: code, signal: signal,
            timedOut: current.stop == .timedOut, cancelled: current.stop == .cancelled,
            startedAtNs: current.startedAt.nanoseconds, finishedAtNs: Timestamp.now.nanoseconds))
    }

    private func record(_ current: Current, exit: SupervisorExit) {
        let running = layout.sessionRunning(current.job, in: id)
        var reason: String?
        if exit.timedOut { reason = "timed out; the session's shell was ended and restarted from its last saved state" }
        if exit.cancelled { reason = "cancelled while running; the session's shell was ended and restarted from its last saved state" }
        attempt("recording the end of command \(current.job)") { () throws(SpoolError) in
            _ = try records.finish(current.job, worker: worker, request: current.request, exit: exit, reason: reason, from: running)
        }
        update {
            $0.commands += 1
            $0.lastActivityAt = .now
            $0.abandonedAt = nil
        }
        lastActivity = .now
    }

    /// Makes the state the last command left the session's saved state.
    private func commitState() {
        for file in [SessionFile.cwd, .env, .functions] {
            let next = layout.session(id, file) + ".next"
            if FileSystem.exists(next) {
                attempt("saving the session's \(file.rawValue)") { () throws(SpoolError) in _ = try FileSystem.rename(next, to: layout.session(id, file)) }
            }
        }
    }

    /// Commands left in `running/` by a shell that died with its worker.
    private func finishInterrupted() {
        for job in store.running(id) {
            let running = layout.sessionRunning(job, in: id)
            let request: JobRequest
            do { request = try JobRequest.load(path: running, defaults: RequestDefaults(job: job, priority: .sync)) } catch {
                SpoolQueue(layout: layout).quarantine(running, reason: "\(error)")
                continue
            }
            let startedAt = (try? records.status(job))?.startedAt ?? .now // unreadable: the time is only for the record
            let current = Current(job: job, request: request, startedAt: startedAt)
            if let code = exitCode(job) {
                finish(current, exitCode: code)
            } else {
                attempt("recording command \(job) as lost") { () throws(SpoolError) in
                    _ = try records.finish(job, worker: worker, request: request, exit: nil,
                        reason: "the session's worker and shell died while it ran; its exit status is unknown", from: running)
                }
            }
        }
        // Uncommitted state belongs to a command whose end was not recorded.
        for file in [SessionFile.cwd, .env, .functions] { FileSystem.remove(layout.session(id, file) + ".next") }
    }

    private func setWake(_ continuation: AsyncStream<HostEvent>.Continuation?) {
        wake = continuation
    }

    private func update(_ change: (inout SessionRecord) -> Void) {
        // An unreadable record is rebuilt from the request that opened the session.
        var record = (try? store.record(id)) ?? SessionRecord(session: id, state: .ready, cwd: request.cwd,
            env: request.env, shell: request.shell, createdAt: request.createdAt)
        change(&record)
        attempt("writing the record of session \(id)") { () throws(SpoolError) in try store.write(record) }
    }

    private func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Writes all of `text` to the shell's stdin; false when the shell is gone (its death
    /// event then ends the command, so the error itself carries nothing more).
    private static func send(_ text: String, to fd: Int32) -> Bool {
        (try? FileSystem.write(fd: fd, Array(text.utf8), path: "session shell stdin")) != nil
    }

    /// Carries out a write of the session's state; a failure is logged (the session goes on,
    /// and the next command or restart writes its state again).
    private func attempt(_ what: String, _ body: () throws(SpoolError) -> Void) {
        do { try body() } catch { logger.error("session \(id): \(what) failed: \(error)") }
    }
}
