import Spool
import Synchronization

/// The newest row each `spool_job` notification carried, until the relay takes it.
/// Notifications arrive in commit order, so the newest is the row's latest state (a
/// later change brings its own notification and another look).
final class NotifiedRows: Sendable {
    private let rows = Mutex<[JobID: RemoteJob]>([:])

    func keep(_ row: RemoteJob) {
        rows.withLock { $0[row.id] = row }
    }

    func take(_ ids: [JobID]) -> [RemoteJob] {
        rows.withLock { rows in ids.compactMap { rows.removeValue(forKey: $0) } }
    }

    func clear() {
        rows.withLock { $0.removeAll() }
    }
}
