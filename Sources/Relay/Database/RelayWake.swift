import Spool

/// Why a relay woke, and what it should look at: a typed key per cause, gathered in a
/// `WakeSet` from notifications and file events.
enum RelayWake: Hashable, Sendable {
    /// Work may be waiting: a request in `queue/` (sending), a `spool_queue`
    /// notification, or a full round of claims (receiving).
    case queue
    /// `spool_queue`: this row started waiting in PostgreSQL (its id is the payload).
    case announced(JobID)
    /// `spool_queue` with "<id> command": a session's command started waiting; only the
    /// host that holds its session claims it (`claimSessionCommands`).
    case announcedCommand(JobID)
    /// `spool_control` for this host: a lease, a cancel or input to look at.
    case control
    /// A job's row or its local files changed.
    case job(JobID)
    /// `jobs/<id>/cancel` appeared on the origin host.
    case cancel(JobID)
    /// `jobs/<id>/stdin.eof` appeared on the origin host: its input is closed.
    case endOfInput(JobID)
    /// A relayed session's queue on the origin host got a command.
    case sessionWork(SessionID)
    /// `sessions/<id>/end` appeared on the origin host.
    case sessionEnd(SessionID)
}

extension RelayWake {
    /// The wake a `spool_queue` payload means: "<id>", or "<id> command" for a session's
    /// command; anything else (a row inserted by hand with another id) is a plain look.
    static func queued(payload: String) -> RelayWake {
        let fields = payload.split(separator: " ", omittingEmptySubsequences: false)
        guard let id = fields.first.flatMap({ JobID(String($0)) }) else { return .queue }
        switch fields.count {
        case 1: return .announced(id)
        case 2 where fields[1] == "command": return .announcedCommand(id)
        default: return .queue
        }
    }
}
