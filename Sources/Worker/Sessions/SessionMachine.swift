import Spool

/// The rules of one persistent session, as a value: when its shell starts, which command
/// runs next, when a command is stopped (TERM, then KILL after the grace period), when an
/// idle session is reported abandoned and closed, when a dying shell is restarted and
/// when it is given up. Transitions return the actions to carry out; `SessionHost` does
/// the I/O and feeds back what it observed. No I/O here, so every rule is tested with a
/// test clock (`Tests/WorkerTests/SessionMachineTests.swift`).
struct SessionMachine<C: Clock>: Sendable where C.Duration == Duration {
    enum State: Sendable, Equatable {
        /// No shell yet, or the last one died and a new one is due.
        case starting
        /// The shell waits for a command.
        case idle
        /// The shell runs `command`.
        case running(Command)
        /// The command is being stopped (its shell's process group got TERM); KILL follows at `killAt`.
        case stopping(Command, Stop, killAt: C.Instant?)
        /// `exit 0` was sent; the session closes when the shell has gone.
        case ending(reason: String)
        case closed(reason: String)
    }

    struct Command: Sendable, Equatable {
        var job: JobID
        var deadline: C.Instant?
    }

    enum Stop: Sendable, Equatable { case cancelled, timedOut }

    /// How a session's shell process ended, as far as the worker saw.
    enum ShellExit: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)
        case unknown

        var description: String {
            switch self {
            case .exited(let code): "exited(\(code))"
            case .signalled(let signal): "signaled(\(signal))"
            case .unknown: "unknown"
            }
        }
    }

    enum Action: Sendable, Equatable {
        case startShell
        /// Claim `job` from the session's queue and hand it to the shell; answer with
        /// `commandStarted` or `commandSkipped`.
        case startCommand(JobID)
        case terminateGroup
        case killGroup
        case exitShell
        /// Record the command's end; `commit` makes the state it left the session's state.
        case record(JobID, JobOutcome, commit: Bool, reason: String?)
        case reportAbandoned(idleSeconds: Int)
        case restart(after: ShellExit)
        case close(reason: String)
    }

    let clock: C
    let idleLimit: Duration
    let killGrace: Duration
    /// A shell that dies sooner than this after starting, with no command, is a quick death.
    let quickDeath: Duration = .seconds(2)
    /// Quick deaths in a row after which the session is given up.
    let quickDeathLimit = 5
    /// The most a session that has run no command yet stays open while idle: its
    /// session_start reply may never have reached the agent (a dropped connection), and it
    /// would hold a worker slot for all of `--session-idle` (an hour by default). From its
    /// first command on, `idleLimit` applies.
    static var unusedLimit: Duration { .seconds(300) }

    private(set) var state: State = .starting
    private var lastActivity: C.Instant
    private var abandonedReported = false
    private var shellStartedAt: C.Instant
    private var quickDeaths = 0
    /// Whether the session has run a command (in this life or, when reopened, a former one).
    private var used: Bool

    /// The idle time after which the session is closed now.
    private var limit: Duration { used ? idleLimit : min(idleLimit, Self.unusedLimit) }

    /// Where the shell's own messages are, named when the session is given up.
    let shellLog: String?

    /// - Parameter used: the session has run a command before (it is being reopened).
    init(clock: C, idleLimit: Duration, killGrace: Duration, shellLog: String? = nil, used: Bool = false) {
        self.clock = clock
        self.used = used
        self.shellLog = shellLog
        self.idleLimit = idleLimit
        self.killGrace = killGrace
        lastActivity = clock.now
        shellStartedAt = clock.now
    }

    var isClosed: Bool { if case .closed = state { true } else { false } }

    // MARK: transitions

    /// Before each shell: start one, unless the session was asked to end.
    mutating func beginShell(endRequested: Bool) -> [Action] {
        guard state == .starting else { return [] }
        if endRequested { return close("ended by session_end or cancel") }
        shellStartedAt = clock.now
        return [.startShell]
    }

    /// The new shell has its saved state and waits for commands.
    mutating func shellReady() {
        if state == .starting { state = .idle }
    }

    /// What the spool looks like now; returns what to do about it. Call after every wake.
    mutating func observe(nextQueued: JobID?, endRequested: Bool, cancelRequested: Bool, exitCode: Int32?) -> [Action] {
        let now = clock.now
        switch state {
        case .idle:
            if endRequested { return end("ended by session_end or cancel") }
            if let job = nextQueued {
                activity(now)
                used = true
                state = .running(Command(job: job, deadline: nil))
                return [.startCommand(job)]
            }
            let idle = lastActivity.duration(to: now)
            if idle >= limit {
                if limit < idleLimit {
                    return end("no command came within \(Int(limit / .seconds(1))) s of session_start (was its reply lost?); closed to free its worker slot (--session-idle applies once a session has run a command)")
                }
                return end("idle for \(Int(idle / .seconds(1))) s (--session-idle \(Int(idleLimit / .seconds(1))))")
            }
            if idle >= limit / 2, !abandonedReported {
                abandonedReported = true
                return [.reportAbandoned(idleSeconds: Int(idle / .seconds(1)))]
            }
            return []
        case .running(let command):
            if let code = exitCode { return finished(command.job, code: code) }
            if cancelRequested { return stop(command, .cancelled, now: now) }
            if let deadline = command.deadline, now >= deadline { return stop(command, .timedOut, now: now) }
            return []
        case .stopping(let command, let stop, let killAt):
            // The exit status file came first: the command ended on its own.
            if let code = exitCode { return finished(command.job, code: code) }
            if let killAt, now >= killAt {
                state = .stopping(command, stop, killAt: nil)
                return [.killGroup]
            }
            return []
        case .starting, .ending, .closed:
            return []
        }
    }

    /// The command handed out by `.startCommand` was given to the shell.
    mutating func commandStarted(timeout: Double?) {
        guard case .running(var command) = state else { return }
        command.deadline = timeout.map { clock.now.advanced(by: .seconds($0)) }
        state = .running(command)
    }

    /// The command handed out by `.startCommand` did not start (someone else took it, or it
    /// was rejected or cancelled before it started, which the host recorded).
    mutating func commandSkipped() {
        if case .running = state { state = .idle }
    }

    /// The shell has exited. `exitCode` is the current command's exit status file, if written.
    mutating func shellEnded(_ exit: ShellExit, exitCode: Int32?) -> [Action] {
        let now = clock.now
        switch state {
        case .ending(let reason):
            return close(reason)
        case .running(let command):
            // `exit N` as the command, or a crash (bash exits when it cannot fork, for
            // one): no stop was asked for. Without an exit status file the shell itself
            // ended, which the reason says, so a user can tell it from the command's code.
            var actions: [Action]
            let restarted = "the session's shell ended during the command (\(exit)) and was restarted from its last saved state"
            if let code = exitCode {
                actions = [.record(command.job, .exited(code: code), commit: true, reason: nil)]
            } else {
                switch exit {
                case .exited(let code): actions = [.record(command.job, .exited(code: code), commit: true, reason: restarted)]
                case .signalled(let signal): actions = [.record(command.job, .signalled(signal), commit: false, reason: restarted)]
                case .unknown: actions = [.record(command.job, .failed(reason: "the session's shell ended with an unknown status", code: nil, signal: nil), commit: false, reason: nil)]
                }
            }
            activity(now)
            quickDeaths = 0
            state = .starting
            return actions + [.restart(after: exit)]
        case .stopping(let command, let stop, _):
            let code: Int32?, signal: Int32?
            switch exit {
            case .exited(let value): (code, signal) = (value, nil)
            case .signalled(let value): (code, signal) = (nil, value)
            case .unknown: (code, signal) = (nil, nil)
            }
            let outcome: JobOutcome, reason: String
            switch stop {
            case .cancelled:
                outcome = .cancelled(code: code, signal: signal, started: true)
                reason = "cancelled while running; the session's shell was ended and restarted from its last saved state"
            case .timedOut:
                outcome = .timedOut(code: code, signal: signal)
                reason = "timed out; the session's shell was ended and restarted from its last saved state"
            }
            activity(now)
            quickDeaths = 0
            state = .starting
            return [.record(command.job, outcome, commit: false, reason: reason), .restart(after: exit)]
        case .idle, .starting:
            quickDeaths = shellStartedAt.duration(to: now) < quickDeath ? quickDeaths + 1 : 0
            if quickDeaths >= quickDeathLimit {
                return close("its shell keeps exiting at start (\(exit))" + (shellLog.map { "; see \($0)" } ?? ""))
            }
            state = .starting
            return [.restart(after: exit)]
        case .closed:
            return []
        }
    }

    /// The shell could not be started or driven at all.
    mutating func failed(_ reason: String) -> [Action] {
        close(reason)
    }

    /// When the host must look again even if no file changes: the idle report or limit,
    /// a command's deadline, or the KILL after the grace period.
    var nextWake: C.Instant? {
        switch state {
        case .idle: lastActivity.advanced(by: abandonedReported ? limit : limit / 2)
        case .running(let command): command.deadline
        case .stopping(_, _, let killAt): killAt
        case .starting, .ending, .closed: nil
        }
    }

    // MARK: helpers

    private mutating func activity(_ now: C.Instant) {
        lastActivity = now
        abandonedReported = false
    }

    private mutating func finished(_ job: JobID, code: Int32) -> [Action] {
        activity(clock.now)
        state = .idle
        return [.record(job, .exited(code: code), commit: true, reason: nil)]
    }

    private mutating func stop(_ command: Command, _ stop: Stop, now: C.Instant) -> [Action] {
        state = .stopping(command, stop, killAt: now.advanced(by: killGrace))
        return [.terminateGroup]
    }

    private mutating func end(_ reason: String) -> [Action] {
        state = .ending(reason: reason)
        return [.exitShell]
    }

    private mutating func close(_ reason: String) -> [Action] {
        state = .closed(reason: reason)
        return [.close(reason: reason)]
    }
}
