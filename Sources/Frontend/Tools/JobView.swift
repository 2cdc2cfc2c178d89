import Spool

/// A job as tools return it in `structuredContent`; field names are DESIGN.md's.
struct JobView: Codable, Sendable {
    var job: String
    var state: JobState
    var priority: Priority
    var position: Int?
    /// Seconds until a queued job is expected to start (moving averages; see `stats`).
    var etaSeconds: Double?
    var session: String?
    var worker: String?
    /// The host that runs (or ran) a job relayed through PostgreSQL.
    var host: String?
    var pid: Int32?
    var exitCode: Int32?
    var signal: Int32?
    var createdAt: Timestamp
    var startedAt: Timestamp?
    var finishedAt: Timestamp?
    var stdoutBytes: Int64?
    var stderrBytes: Int64?
    var stdout: String?
    var stderr: String?
    /// Byte offsets where the inline `stdout`/`stderr` begin: earlier bytes are left out
    /// and `output` reads them (from offset 0).
    var stdoutOffset: Int64?
    var stderrOffset: Int64?
    /// True when output is missing from what is shown: the job hit the output limit
    /// (see `stdoutDropped`/`stderrDropped`) or only the end of long output is inline.
    var truncated: Bool?
    var stdoutDropped: Int64?
    var stderrDropped: Int64?
    var reason: String?
    var policy: JobPolicy?
    /// True for a job on a terminal: `screen` shows it, `send_input` takes keys.
    var tty: Bool?

    init(_ snapshot: JobInspector.Snapshot, estimator: QueueEstimator? = nil) {
        let status = snapshot.status
        etaSeconds = estimator?.eta(snapshot)
        session = status.session?.rawValue
        truncated = status.truncated
        stdoutDropped = status.stdoutDropped
        stderrDropped = status.stderrDropped
        job = status.job.rawValue
        state = status.state
        priority = status.priority
        position = snapshot.position
        worker = status.worker?.rawValue
        host = status.host
        pid = status.pid
        exitCode = status.exitCode
        signal = status.signal
        createdAt = status.createdAt
        startedAt = status.startedAt
        finishedAt = status.finishedAt
        stdoutBytes = status.stdoutBytes
        stderrBytes = status.stderrBytes
        reason = status.reason
        policy = status.policy
        tty = status.tty
    }

    enum CodingKeys: String, CodingKey {
        case job, state, priority, position, etaSeconds, session, worker, host, pid, exitCode, signal, createdAt, startedAt,
             finishedAt, stdoutBytes, stderrBytes, stdout, stderr, stdoutOffset, stderrOffset, truncated, stdoutDropped,
             stderrDropped, reason, policy, tty
    }

    /// As synthesized, except that a queued job always carries `etaSeconds`, as `null`
    /// when there is no basis for one yet (DESIGN.md: clients can rely on the field).
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(job, forKey: .job)
        try c.encode(state, forKey: .state)
        try c.encode(priority, forKey: .priority)
        try c.encodeIfPresent(position, forKey: .position)
        if state == .queued { try c.encode(etaSeconds, forKey: .etaSeconds) } else { try c.encodeIfPresent(etaSeconds, forKey: .etaSeconds) }
        try c.encodeIfPresent(session, forKey: .session)
        try c.encodeIfPresent(worker, forKey: .worker)
        try c.encodeIfPresent(host, forKey: .host)
        try c.encodeIfPresent(pid, forKey: .pid)
        try c.encodeIfPresent(exitCode, forKey: .exitCode)
        try c.encodeIfPresent(signal, forKey: .signal)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(startedAt, forKey: .startedAt)
        try c.encodeIfPresent(finishedAt, forKey: .finishedAt)
        try c.encodeIfPresent(stdoutBytes, forKey: .stdoutBytes)
        try c.encodeIfPresent(stderrBytes, forKey: .stderrBytes)
        try c.encodeIfPresent(stdout, forKey: .stdout)
        try c.encodeIfPresent(stderr, forKey: .stderr)
        try c.encodeIfPresent(stdoutOffset, forKey: .stdoutOffset)
        try c.encodeIfPresent(stderrOffset, forKey: .stderrOffset)
        try c.encodeIfPresent(truncated, forKey: .truncated)
        try c.encodeIfPresent(stdoutDropped, forKey: .stdoutDropped)
        try c.encodeIfPresent(stderrDropped, forKey: .stderrDropped)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encodeIfPresent(policy, forKey: .policy)
        try c.encodeIfPresent(tty, forKey: .tty)
    }

    /// One line a person (or agent) reads first.
    var summary: String {
        var text = "job \(job): \(state.rawValue)"
        switch state {
        case .queued:
            if let position {
                let queue = session.map { "session \($0)'s queue" } ?? "the \(priority.rawValue) order"
                text += " (position \(position) in \(queue)" + (etaSeconds.map { ", ETA ~\(ToolArguments.format($0)) s" } ?? "") + ")"
            }
            if etaSeconds == nil {
                text += "; ETA unknown: no job has finished in this spool yet, so there is no run time to estimate from"
            }
        case .running:
            if let pid { text += " (pid \(pid)" + (worker.map { " on \($0)" } ?? "") + (host.map { " at host \($0)" } ?? "") + ")" }
        default:
            if let exitCode { text += ", exit code \(exitCode)" }
            if let signal { text += ", killed by signal \(signal)" }
            if let startedAt, let finishedAt {
                text += String(format: ", ran %.3f s", finishedAt.seconds(since: startedAt))
            }
        }
        if let stdoutDropped, let stderrDropped, stdoutDropped + stderrDropped > 0 {
            text += "; output limit reached: \(stdoutDropped) stdout and \(stderrDropped) stderr bytes were dropped"
        }
        if let reason { text += "; \(reason)" }
        // An agent must know a denied write or connection is the policy, not a bug in its command.
        if let policy, policy.isSet, [.failed, .timedOut].contains(state) {
            text += "; it ran under the job policy: \(policy.summary)"
        }
        return text
    }
}
