import MCPWire
import Synchronization

/// The requests a client cancelled with `notifications/cancelled`, as opposed to requests
/// that ended because the connection did: a cancelled `run` takes its job with it (the
/// user pressed stop), a closed connection leaves the job running. Read from the
/// cancelled request's own task, hence a lock.
final class CancelledRequests: Sendable {
    private let ids = Mutex<Set<RequestID>>([])

    func insert(_ id: RequestID) { _ = ids.withLock { $0.insert(id) } }
    func remove(_ id: RequestID) { _ = ids.withLock { $0.remove(id) } }
    func contains(_ id: RequestID) -> Bool { ids.withLock { $0.contains(id) } }

    /// What a request's `run` does with its job when the request is abandoned.
    func abandon(_ id: RequestID) -> SpoolTools.Abandon {
        SpoolTools.Abandon { [self] in contains(id) }
    }
}
