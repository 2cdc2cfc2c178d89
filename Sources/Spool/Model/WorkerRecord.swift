/// `workers/<name>.json`: a live worker, for people and for `stats`. Liveness itself is
/// the flock on `workers/<name>.lock`, not this file.
public struct WorkerRecord: Codable, Sendable, Equatable {
    public var worker: WorkerName
    public var pid: Int32
    public var host: String
    public var slots: Int
    public var startedAt: Timestamp
    public var heartbeat: Timestamp
    /// A sending relay's view of the worker hosts (nil for a worker).
    public var hosts: [RemoteHost]?
    /// When the relay last read `hosts` from PostgreSQL (older than the heartbeat while the
    /// database does not answer).
    public var hostsAt: Timestamp?

    public init(worker: WorkerName, pid: Int32, host: String, slots: Int, startedAt: Timestamp, heartbeat: Timestamp) {
        self.worker = worker
        self.pid = pid
        self.host = host
        self.slots = slots
        self.startedAt = startedAt
        self.heartbeat = heartbeat
    }
}
