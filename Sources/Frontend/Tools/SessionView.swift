import Spool

/// A session as `session_start`, `session_end` and `session_list` return it.
struct SessionView: Codable, Sendable {
    var session: String
    var state: SessionState
    var position: Int?
    var etaSeconds: Double?
    var worker: String?
    /// Many hosts: the worker host it lives on (its opener went through the relay).
    var host: String?
    var pid: Int32?
    /// The shell's working directory after its last command.
    var cwd: String?
    var shell: String?
    var createdAt: Timestamp
    var readyAt: Timestamp?
    var lastActivityAt: Timestamp?
    var abandonedAt: Timestamp?
    var closedAt: Timestamp?
    var idleSeconds: Double?
    var commands: Int
    var queued: Int
    var running: String?
    var restarts: Int
    var reason: String?

    init(_ record: SessionRecord, layout: SpoolLayout, estimator: QueueEstimator?, order: QueueOrder) {
        let store = SessionStore(layout: layout)
        let id = record.session
        session = id.rawValue
        state = record.state
        worker = record.worker?.rawValue
        host = record.remote == true ? record.host : nil
        pid = record.pid
        shell = record.shell
        createdAt = record.createdAt
        readyAt = record.readyAt
        lastActivityAt = record.lastActivityAt
        abandonedAt = record.abandonedAt
        closedAt = record.closedAt
        commands = record.commands
        restarts = record.restarts
        reason = record.reason
        queued = store.queued(id).count
        running = store.running(id).first?.rawValue
        let saved = (try? FileSystem.read(layout.session(id, .cwd))).flatMap { $0 } // no saved cwd yet: the view shows the starting one
        cwd = saved.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .newlines) } ?? record.cwd
        if record.state == .queued {
            let entries = SpoolQueue(layout: layout, order: order).entries()
            position = order.position(of: id.opener, in: entries)
            if let position { etaSeconds = estimator?.eta(position: position) }
        }
        if record.state == .ready, running == nil, let last = record.lastActivityAt {
            idleSeconds = (Timestamp.now.seconds(since: last) * 10).rounded() / 10
        }
    }

    var summary: String {
        var text = "session \(session): \(state.rawValue)"
        switch state {
        case .queued:
            if let position { text += " (position \(position) for a worker slot" + (etaSeconds.map { ", ETA ~\(ToolArguments.format($0)) s" } ?? "") + ")" }
        case .ready:
            // A session on another host: its cwd is there (this host keeps the one it started in).
            text += host.map { " on host \($0)" } ?? (" in \(cwd ?? "?")" + (worker.map { " on \($0)" } ?? ""))
            text += ", \(commands) command(s) run"
            if let running { text += ", running job \(running)" }
            if queued > 0 { text += ", \(queued) waiting" }
            if abandonedAt != nil, let idleSeconds { text += "; abandoned? idle for \(ToolArguments.format(idleSeconds)) s" }
        case .closed:
            if let reason { text += " (\(reason))" }
        }
        return text
    }
}
