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
    /// True when output is missing from what is shown: the job hit the output limit
    /// (see `stdoutDropped`/`stderrDropped`) or only the end of long output is inline.
    var truncated: Bool?
    var stdoutDropped: Int64?
    var stderrDropped: Int64?
    var reason: String?

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
        pid = status.pid
        exitCode = status.exitCode
        signal = status.signal
        createdAt = status.createdAt
        startedAt = status.startedAt
        finishedAt = status.finishedAt
        stdoutBytes = status.stdoutBytes
        stderrBytes = status.stderrBytes
        reason = status.reason
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
        case .running:
            if let pid { text += " (pid \(pid)" + (worker.map { " on \($0)" } ?? "") + ")" }
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
        return text
    }
}
