import Spool

/// A job as tools return it in `structuredContent`; field names are DESIGN.md's.
struct JobView: Codable, Sendable {
    var job: String
    var state: JobState
    var priority: Priority
    var position: Int?
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
    var truncated: Bool?
    var reason: String?

    init(_ snapshot: JobInspector.Snapshot) {
        let status = snapshot.status
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
            if let position { text += " (position \(position) in the \(priority.rawValue) order)" }
        case .running:
            if let pid { text += " (pid \(pid)" + (worker.map { " on \($0)" } ?? "") + ")" }
        default:
            if let exitCode { text += ", exit code \(exitCode)" }
            if let signal { text += ", killed by signal \(signal)" }
            if let startedAt, let finishedAt {
                text += String(format: ", ran %.3f s", finishedAt.seconds(since: startedAt))
            }
        }
        if let reason { text += "; \(reason)" }
        return text
    }
}
