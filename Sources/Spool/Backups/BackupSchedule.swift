/// When an idle backup is due: the rule, without I/O or git.
///
/// A change under the backed-up tree makes it dirty; once nothing has changed for `idle`,
/// a snapshot is due. One snapshot runs at a time; changes made while it runs keep the
/// tree dirty for the next one, and a snapshot skipped for a passing reason (the user's
/// git holds `index.lock`, a rebase is under way) is tried again after another idle
/// period. Tested with a manual clock (`Tests/SpoolTests/Backups/BackupScheduleTests`).
public struct BackupSchedule<C: Clock>: Sendable where C.Duration == Duration, C.Instant: Sendable {
    public enum State: Sendable, Equatable {
        case clean
        /// Changed; the last change was at `lastChange`.
        case dirty(lastChange: C.Instant)
        /// A snapshot started at `startedAt`; `lastChange` is the newest change seen since.
        case snapshotting(startedAt: C.Instant, lastChange: C.Instant?)
    }

    public enum Outcome: Sendable, Equatable {
        /// Committed, or nothing had changed since the last backup.
        case taken
        /// Not taken for a reason that passes; try again after another idle period.
        case retryLater
    }

    public let idle: Duration
    public private(set) var state: State = .clean

    public init(idle: Duration) {
        self.idle = idle
    }

    /// A file under the tree changed at `now`.
    public mutating func changed(at now: C.Instant) {
        switch state {
        case .clean, .dirty: state = .dirty(lastChange: now)
        case .snapshotting(let started, _): state = .snapshotting(startedAt: started, lastChange: now)
        }
    }

    /// When to call `due` next (nil: only after a change).
    public var nextWake: C.Instant? {
        if case .dirty(let last) = state { return last.advanced(by: idle) }
        return nil
    }

    /// Whether an idle snapshot should start now; if so, it is marked as running.
    public mutating func due(at now: C.Instant) -> Bool {
        guard case .dirty(let last) = state, last.advanced(by: idle) <= now else { return false }
        state = .snapshotting(startedAt: now, lastChange: nil)
        return true
    }

    /// A snapshot asked for outside the schedule (before a job, before a restore) starts.
    public mutating func snapshotStarted(at now: C.Instant) {
        if case .snapshotting = state { return }
        state = .snapshotting(startedAt: now, lastChange: nil)
    }

    /// The running snapshot ended.
    public mutating func snapshotFinished(_ outcome: Outcome, at now: C.Instant) {
        guard case .snapshotting(_, let lastChange) = state else { return }
        switch (outcome, lastChange) {
        case (.retryLater, _): state = .dirty(lastChange: now)
        case (.taken, let last?): state = .dirty(lastChange: last)
        case (.taken, nil): state = .clean
        }
    }
}
