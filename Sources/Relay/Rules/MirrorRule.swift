import Spool

/// What the origin host's files show of one relayed job: the sending relay's side of the
/// mirror, kept in memory and rebuilt from the files after a restart.
struct Mirror: Sendable, Equatable {
    /// The attempt (claim token) whose output the local files hold; nil before any.
    var token: Int64?
    var stdoutBytes: Int64 = 0
    var stderrBytes: Int64 = 0
    /// The state last written into the local `status.json`.
    var shown: RemoteState = .queued
    var host: String?
    /// A claim is shown once it has lasted `MirrorRule.showDelay`; until then this says when.
    var showDue: ContinuousClock.Instant?
    /// The session the job opens (`opens`) or is a command of.
    var session: SessionID?
    var opens = false

    func bytes(_ stream: JobStream) -> Int64 { stream == .stdout ? stdoutBytes : stderrBytes }
}

/// One step of bringing the local files in line with the row.
enum MirrorAction: Sendable, Equatable {
    /// A new attempt began: the output files are emptied, its output starts at 0.
    case startOver(token: Int64)
    case fetch(JobStream, from: Int64)
    /// Another host claimed or runs it: status.json says so.
    case show(RemoteState, host: String?, status: JobStatus?, reason: String?)
    /// Its first claim is shown at this instant, unless it ended by then.
    case showAt(ContinuousClock.Instant)
    /// The worker host's final status; the request then moves to `done/`.
    case finish(JobStatus)
    case lose(reason: String)
    /// Cancelled before any host claimed it.
    case cancelBeforeStart
}

/// The sending relay's rule: from the row and the local mirror, the steps that make the
/// files say what the row says. Output always comes before the end, so a `wait` that
/// returns sees every byte. A job's first claim is shown once it has lasted `showDelay`
/// (as a worker host batches "running"): a short job's status is written once, ended.
enum MirrorRule {
    static let showDelay = OutputBatch.delay

    static func actions(_ mirror: Mirror, _ remote: RemoteJob, now: ContinuousClock.Instant = .now) -> [MirrorAction] {
        var actions: [MirrorAction] = []
        var mirror = mirror
        let attemptStarted = remote.state == .claimed || remote.state == .running || remote.state == .finished
        if attemptStarted {
            // A lost or requeued claim gets a new token, so the lost attempt's late output never mixes in.
            if mirror.token != remote.token {
                actions.append(.startOver(token: remote.token))
                mirror.stdoutBytes = 0
                mirror.stderrBytes = 0
            }
            for stream in JobStream.allCases where remote.bytes(stream) > mirror.bytes(stream) {
                actions.append(.fetch(stream, from: mirror.bytes(stream)))
            }
        }
        switch remote.state {
        case .queued:
            if mirror.shown != .queued { actions.append(.show(.queued, host: nil, status: nil, reason: remote.reason)) }
        case .claimed, .running:
            if mirror.shown != remote.state || mirror.host != remote.host {
                let due = mirror.showDue ?? now + Self.showDelay
                if mirror.shown == .queued, now < due {
                    actions.append(.showAt(due))
                } else {
                    actions.append(.show(remote.state, host: remote.host, status: remote.status, reason: nil))
                }
            }
        case .finished:
            if let status = remote.status {
                actions.append(.finish(status))
            } else {
                actions.append(.lose(reason: "host \(remote.host ?? "?") reported the job finished without a status"))
            }
        case .lost:
            actions.append(.lose(reason: remote.reason ?? "host \(remote.host ?? "?") was lost while it ran the job"))
        case .cancelled:
            actions.append(.cancelBeforeStart)
        }
        return actions
    }

    /// The final status as the origin host files it: the worker host's record, marked
    /// remote, with the host it ran on.
    static func originRecord(_ status: JobStatus, host: String?, token: Int64) -> JobStatus {
        var record = status
        record.remote = true
        record.host = host ?? status.host
        record.attempt = token
        // Pids and keepers are the other host's: nothing here may signal them.
        record.supervisorPid = nil
        record.keeperPid = nil
        return record
    }
}
