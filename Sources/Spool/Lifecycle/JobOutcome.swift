/// How a job ended, in one type for every path that ends one: the supervisor's exit
/// record, a session shell's exit code, a rejection, a cancel before the start, or a
/// loss (nobody could record the end).
public enum JobOutcome: Sendable, Equatable {
    case exited(code: Int32)
    case signalled(Int32)
    /// Ended by its timeout (TERM, then KILL); the code or signal it died of, if known.
    case timedOut(code: Int32?, signal: Int32?)
    /// Cancelled while it ran; `nil`s when it never started.
    case cancelled(code: Int32?, signal: Int32?, started: Bool)
    /// Started, but its end is unknown: the supervisor and keeper died without a record.
    case lost(reason: String)
    /// Never run: the request cannot be run (empty command, bad cwd, …).
    case rejected(reason: String)
    /// The supervisor could not watch the command to its end (it then killed the group).
    case failed(reason: String, code: Int32?, signal: Int32?)

    public var state: JobState {
        switch self {
        case .exited(let code): code == 0 ? .succeeded : .failed
        case .signalled, .rejected, .failed: .failed
        case .timedOut: .timedOut
        case .cancelled: .cancelled
        case .lost: .lost
        }
    }

    public var exitCode: Int32? {
        switch self {
        case .exited(let code): code
        case .timedOut(let code, _), .cancelled(let code, _, _), .failed(_, let code, _): code
        case .signalled, .lost, .rejected: nil
        }
    }

    public var signal: Int32? {
        switch self {
        case .signalled(let signal): signal
        case .timedOut(_, let signal), .cancelled(_, let signal, _), .failed(_, _, let signal): signal
        case .exited, .lost, .rejected: nil
        }
    }

    /// What the supervisor's `exit.json` means.
    public init(_ exit: SupervisorExit) {
        if let failure = exit.failure {
            self = .failed(reason: failure, code: exit.exitCode, signal: exit.signal)
        } else if let limit = exit.limit, !exit.cancelled, !exit.timedOut {
            // Whatever its exit code: a process of it was killed, or a fork failed.
            let why = limit == "memory" ? "the kernel killed a process of it at its memory limit" : "a fork failed at its processes limit, and the job was ended"
            self = .failed(reason: "it reached the job \(limit) limit (--job-\(limit)): \(why)", code: exit.exitCode, signal: exit.signal)
        } else if exit.cancelled {
            self = .cancelled(code: exit.exitCode, signal: exit.signal, started: true)
        } else if exit.timedOut {
            self = .timedOut(code: exit.exitCode, signal: exit.signal)
        } else if let code = exit.exitCode {
            self = .exited(code: code)
        } else {
            // No code means a signal; a record with neither is a failure, not a success.
            self = exit.signal.map { .signalled($0) } ?? .failed(reason: "the exit record has neither an exit code nor a signal", code: nil, signal: nil)
        }
    }
}

/// A job's end with the facts that go with it into `status.json`.
public struct JobEnding: Sendable, Equatable {
    public var outcome: JobOutcome
    public var pid: Int32?
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp
    public var stdoutDropped: Int64?
    public var stderrDropped: Int64?
    /// Words that replace the outcome's usual reason (a session says how its shell was restarted).
    public var reason: String?

    public init(outcome: JobOutcome, pid: Int32? = nil, startedAt: Timestamp? = nil, finishedAt: Timestamp,
                stdoutDropped: Int64? = nil, stderrDropped: Int64? = nil, reason: String? = nil) {
        self.outcome = outcome
        self.pid = pid
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.stdoutDropped = stdoutDropped
        self.stderrDropped = stderrDropped
        self.reason = reason
    }

    /// The end the supervisor recorded.
    public init(_ exit: SupervisorExit, reason: String? = nil) {
        self.init(outcome: JobOutcome(exit), pid: exit.pid, startedAt: Timestamp(nanoseconds: exit.startedAtNs),
                  finishedAt: Timestamp(nanoseconds: exit.finishedAtNs), stdoutDropped: exit.stdoutDropped,
                  stderrDropped: exit.stderrDropped, reason: reason)
    }
}
