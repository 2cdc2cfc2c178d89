import Spool

/// `GET /api/workers`: this spool's live workers, and with many hosts the worker hosts as
/// the sending relay last read them from PostgreSQL (DESIGN.md, "Dashboard": workers and
/// hosts). From `workers/*.json` alone: no database client in spool-mcp.
struct WorkersView: Codable, Sendable, Equatable {
    struct Worker: Codable, Sendable, Equatable {
        var worker: String
        var pid: Int32
        /// The machine it runs on.
        var host: String
        var slots: Int
        /// Requests it holds in `active/` (jobs and open sessions).
        var running: Int
        var startedAt: Timestamp
        var heartbeat: Timestamp
        /// A sending relay: its jobs run on the worker hosts below.
        var relay: Bool
    }

    var workers: [Worker]
    /// The worker hosts (many hosts); empty without a sending relay.
    var hosts: [RemoteHost]
    /// When the relay read `hosts`; nil without one.
    var hostsAt: Timestamp?

    init(_ live: [LiveWorker]) {
        workers = live.map {
            Worker(worker: $0.record.worker.rawValue, pid: $0.record.pid, host: $0.record.host, slots: $0.record.slots, running: $0.running,
                   startedAt: $0.record.startedAt, heartbeat: $0.record.heartbeat, relay: $0.record.hosts != nil)
        }
        // The freshest view, should two relays serve the spool.
        let newest = live.filter { $0.record.hosts != nil }.max { ($0.record.hostsAt ?? $0.record.heartbeat) < ($1.record.hostsAt ?? $1.record.heartbeat) }
        hosts = newest?.record.hosts ?? []
        hostsAt = newest?.record.hostsAt
    }
}
