import Spool

/// Persistent sessions as the tools see them.
extension JobService {
    /// Opens a session after its `accepted` audit line (returned for the caller to flush
    /// before it hands out the session id).
    func startSession(cwd: String?, env: [String: String]?, shell: String?, client: AuditClient) throws(ToolError) -> (SessionID, PendingSync) {
        let record = SessionRecord(session: .make(), state: .queued, cwd: cwd, env: env, shell: shell, createdAt: .now)
        var line = AuditEntry(.accepted, host: AuditLog.host, client: client, session: record.session)
        line.tool = ToolName.sessionStart.rawValue
        line.cwd = cwd
        line.shell = shell
        line.env = env.map { $0.keys.sorted() }
        let pending: PendingSync
        do { pending = try audit.append(line) } catch { throw .spool(error) }
        do { try sessions.create(record, client: client) } catch { throw .spool(error) }
        return (record.session, pending)
    }

    /// Every session's record, closed ones only when asked; a record being rewritten at
    /// this moment is left out (it is listed next time).
    func sessionRecords(includingClosed: Bool) -> [SessionRecord] {
        sessions.all().compactMap { try? sessions.record($0) }.filter { includingClosed || $0.state != .closed }
    }

    /// The session's record, or a tool error an agent can act on.
    func session(_ id: SessionID, tool: String) throws(ToolError) -> SessionRecord {
        guard let record = sessions.record(ifSession: id.opener) else {
            throw .refused(tool: tool, reason: "no session \(id) in this spool (session_list shows the sessions; session_start opens one)")
        }
        return record
    }

    enum EndOutcome: Sendable {
        case dequeued, closing, alreadyClosed
    }

    /// Ends a session: one still waiting for a slot is removed from the queue; an open
    /// one is closed by its worker after the current command.
    func endSession(_ id: SessionID, tool: String) throws(ToolError) -> EndOutcome {
        let record = try session(id, tool: tool)
        if record.state == .closed { return .alreadyClosed }
        do {
            try sessions.requestEnd(id)
            // queue/sync → done/ (not `dequeue`: a session's request gets no job record).
            if try JobTransitions(layout: layout).fileSession(id, from: .queued(.sync)) {
                // Waiting in the queue is also where a session goes back to when its worker
                // died: that one had opened, and says so.
                try sessions.close(id, reason: record.readyAt == nil ? "ended before it opened"
                    : "ended while it waited to be reopened (its worker had died)")
                return .dequeued
            }
        } catch { throw .spool(error) }
        return .closing
    }

    /// Waits until the session is ready (or closed) for at most `timeout` seconds.
    func waitReady(_ id: SessionID, timeout: Double) async -> SessionRecord? {
        let directory = layout.session(id)
        // Without the watch the wait still ends at its timeout, and the record is read then.
        try? await watcher.watch(directory, mask: WatchMask.arrivals)
        let events = watcher.events()
        let store = sessions
        let ready: @Sendable () -> Bool = { ((try? store.record(id))?.state ?? .closed) != .queued } // unreadable ends the wait; the caller reads again
        if !ready() {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in events where event.isOverflow || (event.directory == directory && event.name == SessionFile.record.rawValue) {
                        if ready() { return }
                    }
                }
                group.addTask { await Pause.for(.seconds(timeout)) }
                await group.next()
                group.cancelAll()
            }
        }
        return try? store.record(id) // nil makes the caller report the session as queued
    }
}
