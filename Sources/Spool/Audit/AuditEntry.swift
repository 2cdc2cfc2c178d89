/// One line of the audit log. Which fields a line has depends on its `event`.
public struct AuditEntry: Codable, Sendable, Equatable {
    public enum Event: String, Codable, Sendable {
        case accepted, started, finished, cancelled, promoted, refused, restored, policy
    }

    public var event: Event
    public var time: Timestamp
    public var job: JobID?
    public var session: SessionID?
    public var host: String
    public var client: AuditClient?
    /// The tool whose call this line records (`run`, `start`, `cancel`, …).
    public var tool: String?
    // accepted
    public var command: String?
    public var cwd: String?
    public var shell: String?
    /// The names of the request's `env` (never the values).
    public var env: [String]?
    // finished, cancelled, refused
    public var state: JobState?
    public var exitCode: Int32?
    public var signal: Int32?
    public var reason: String?
    // started
    public var worker: WorkerName?
    public var pid: Int32?
    // promoted
    public var priority: Priority?
    // restored
    public var commit: String?
    public var paths: [String]?
    // policy
    public var policy: JobPolicy?

    public init(_ event: Event, host: String, client: AuditClient? = nil, job: JobID? = nil, session: SessionID? = nil, time: Timestamp = .now) {
        self.event = event
        self.time = time
        self.host = host
        self.client = client?.bounded()
        self.job = job
        self.session = session
    }

    /// `finished`: the job's final record, as filed.
    public static func finished(_ status: JobStatus, client: AuditClient?, worker: WorkerName?) -> AuditEntry {
        var entry = AuditEntry(.finished, host: AuditLog.host, client: client, job: status.job, session: status.session,
                               time: status.finishedAt ?? .now)
        entry.state = status.state
        entry.exitCode = status.exitCode
        entry.signal = status.signal
        entry.reason = status.reason
        entry.worker = worker
        return entry
    }

    /// `refused`: a request Spool would not accept, and why.
    public static func refused(_ reason: String, client: AuditClient?, tool: String? = nil, job: JobID? = nil,
                               session: SessionID? = nil) -> AuditEntry {
        var entry = AuditEntry(.refused, host: AuditLog.host, client: client, job: job, session: session)
        entry.tool = tool
        entry.reason = reason
        return entry
    }

    /// `started`: a worker started the job's command (or sent it to its session's shell).
    public static func started(_ request: JobRequest, worker: WorkerName, pid: Int32?) -> AuditEntry {
        var entry = AuditEntry(.started, host: AuditLog.host, client: request.client, job: request.job, session: request.session)
        entry.worker = worker
        entry.pid = pid
        return entry
    }

    /// `accepted`: what was asked for, with the env's names only.
    public static func accepted(_ request: JobRequest, tool: String?) -> AuditEntry {
        var entry = AuditEntry(.accepted, host: AuditLog.host, client: request.client, job: request.opensSession ? nil : request.job,
                               session: request.opensSession ? SessionID(opening: request.job) : request.session)
        entry.tool = tool
        entry.command = request.command
        entry.cwd = request.cwd
        entry.shell = request.shell
        entry.env = request.env.map { $0.keys.sorted() }
        entry.priority = request.priority
        return entry
    }
}
