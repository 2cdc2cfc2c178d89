/// `jobs/<id>/status.json`: where a job stands. Field names are the MCP result names.
public struct JobStatus: Codable, Sendable, Equatable {
    public var job: JobID
    public var state: JobState
    public var priority: Priority
    public var worker: WorkerName?
    /// The command's pid, which is also its process group id.
    public var pid: Int32?
    /// The per-job supervisor (it copies output and stands in for the keeper if that dies).
    public var supervisorPid: Int32?
    /// The per-job keeper: it waits for the command and records its exit; the job's owner
    /// relays the `cancel` and `stdin.eof` markers to it (SIGUSR1, SIGUSR2).
    public var keeperPid: Int32?
    public var exitCode: Int32?
    public var signal: Int32?
    public var createdAt: Timestamp
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp?
    public var stdoutBytes: Int64?
    public var stderrBytes: Int64?
    /// Why the job ended the way it did, when the exit code does not say it.
    public var reason: String?
    /// Set when the output limit was reached: the bytes not written to each file.
    public var stdoutDropped: Int64?
    public var stderrDropped: Int64?
    /// The session whose shell ran the command.
    public var session: SessionID?

    /// True when an output file stopped growing at the output limit.
    public var truncated: Bool?

    /// True for a job a sending relay handed to PostgreSQL: another host runs it, and this
    /// host's files mirror it. Recovery leaves such a job to the relay (its next life
    /// resumes the mirror) instead of calling it lost when the relay process dies.
    public var remote: Bool?
    /// The host that runs (or ran) a remote job, as its receiving relay names itself.
    public var host: String?
    /// Which claim of a remote job this is (the fencing token; it grows with every claim).
    public var attempt: Int64?
    /// The job policy it ran under (with what the kernel did not enforce of it).
    public var policy: JobPolicy?
    /// True for a job on a terminal (DESIGN.md, "Terminals"): its command leads a session
    /// of its own (the terminal's), not the supervisor's.
    public var tty: Bool?

    public init(
        job: JobID, state: JobState, priority: Priority, worker: WorkerName? = nil,
        pid: Int32? = nil, supervisorPid: Int32? = nil, exitCode: Int32? = nil, signal: Int32? = nil,
        createdAt: Timestamp, startedAt: Timestamp? = nil, finishedAt: Timestamp? = nil,
        stdoutBytes: Int64? = nil, stderrBytes: Int64? = nil, reason: String? = nil, session: SessionID? = nil
    ) {
        self.job = job
        self.state = state
        self.priority = priority
        self.worker = worker
        self.pid = pid
        self.supervisorPid = supervisorPid
        self.exitCode = exitCode
        self.signal = signal
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.stdoutBytes = stdoutBytes
        self.stderrBytes = stderrBytes
        self.reason = reason
        self.session = session
    }
}

/// The command's end as spool-supervisor's keeper records it: handed to the worker on
/// its socket (`exit RECORD`), or written as `jobs/<id>/exit.json` when no worker files it.
public struct SupervisorExit: Codable, Sendable, Equatable {
    public var pid: Int32
    public var exitCode: Int32?
    public var signal: Int32?
    public var timedOut: Bool
    public var cancelled: Bool
    public var startedAtNs: Int64
    public var finishedAtNs: Int64
    public var stdoutDropped: Int64?
    public var stderrDropped: Int64?
    /// Set when the supervisor could not watch the job to its end (it then killed the
    /// process group): the job failed for this reason, whatever its exit code.
    public var failure: String?
    /// Who recorded the exit when it was not the keeper: "fork server" or "worker", which
    /// inherited the command after its keeper and supervisor died.
    public var recordedBy: String?
    /// A limit of the job policy the job hit ("memory" or "processes"), read from its cgroup.
    public var limit: String?

    public init(pid: Int32, exitCode: Int32?, signal: Int32?, timedOut: Bool, cancelled: Bool,
                startedAtNs: Int64, finishedAtNs: Int64, stdoutDropped: Int64? = nil, stderrDropped: Int64? = nil) {
        self.pid = pid
        self.exitCode = exitCode
        self.signal = signal
        self.timedOut = timedOut
        self.cancelled = cancelled
        self.startedAtNs = startedAtNs
        self.finishedAtNs = finishedAtNs
        self.stdoutDropped = stdoutDropped
        self.stderrDropped = stderrDropped
    }

    /// The final state this exit means.
    public var state: JobState {
        if failure != nil || limit != nil { return .failed }
        if cancelled { return .cancelled }
        if timedOut { return .timedOut }
        return exitCode == 0 ? .succeeded : .failed
    }
}
