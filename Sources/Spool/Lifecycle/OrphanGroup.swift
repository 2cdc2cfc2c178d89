import Glibc

/// The cancel and timeout of a job whose command outlived every process that kept it (its
/// keeper, its supervisor, and the fork server and worker that could have inherited it):
/// it stays `running` while its group lives, and whoever owns it now carries them out on
/// the group. Decided from times alone (`signal`), so the rule is tested without processes.
public struct OrphanGroup: Sendable, Equatable {
    public var status: JobStatus
    public var timeout: Double?
    /// Seconds between TERM and KILL.
    public var grace: Double

    public init(status: JobStatus, timeout: Double?, grace: Double) {
        self.status = status
        self.timeout = timeout
        self.grace = grace
    }

    public enum Signal: Sendable, Equatable {
        case none
        case terminate
        case kill
    }

    /// When the timeout falls due, if the job has one.
    public var timeoutDue: Timestamp? {
        guard let timeout, timeout > 0, let started = status.startedAt else { return nil }
        return Timestamp(nanoseconds: started.nanoseconds + Int64(timeout * 1e9))
    }

    /// TERM from the cancel or the timeout on, KILL once the grace period has passed too.
    public func signal(cancelRequestedAt: Timestamp?, now: Timestamp) -> Signal {
        var since = cancelRequestedAt
        if let due = timeoutDue, !(now < due) { since = since.map { min($0, due) } ?? due }
        guard let since else { return .none }
        return now.seconds - since.seconds >= grace ? .kill : .terminate
    }

    public func enforce(cancelRequestedAt: Timestamp?, now: Timestamp) {
        guard let group = status.pid, group > 1 else { return }
        switch signal(cancelRequestedAt: cancelRequestedAt, now: now) {
        case .none: break
        case .terminate: kill(-group, SIGTERM)
        case .kill: kill(-group, SIGKILL)
        }
    }
}
