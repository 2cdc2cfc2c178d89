/// Detects the two moments of a session that clients are told about, from successive
/// reads of its record: it became ready (a worker opened its shell) and it was reported
/// abandoned (idle for half of `--session-idle`). The MCP notices (`session_start`'s
/// follower) and the `/events` journal both use it, so they agree.
public struct SessionMilestones: Sendable, Equatable {
    public enum Milestone: Sendable, Equatable {
        case ready(worker: WorkerName?, at: Timestamp)
        case abandoned(worker: WorkerName?, at: Timestamp, lastActivity: Timestamp?)
    }

    public private(set) var ready: Bool
    public private(set) var abandoned: Bool

    public init(ready: Bool = false, abandoned: Bool = false) {
        self.ready = ready
        self.abandoned = abandoned
    }

    /// The milestones `record` shows that were not seen before. An abandoned session that
    /// is used again and later idles once more is reported again.
    public mutating func observe(_ record: SessionRecord) -> [Milestone] {
        var found: [Milestone] = []
        if record.state != .queued && !ready {
            ready = true
            found.append(.ready(worker: record.worker, at: record.readyAt ?? .now))
        }
        if let at = record.abandonedAt, !abandoned {
            found.append(.abandoned(worker: record.worker, at: at, lastActivity: record.lastActivityAt))
        }
        abandoned = record.abandonedAt != nil
        return found
    }

    /// What a journal event says was already announced.
    public mutating func restore(_ type: SpoolEventType) {
        if type == .sessionReady { ready = true }
        if type == .sessionAbandoned { abandoned = true }
    }
}
