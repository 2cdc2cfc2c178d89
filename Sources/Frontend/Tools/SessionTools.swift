import Glibc
import MCPWire
import Spool

/// `session_start`, `session_end`, `session_list` (and `cancel` with `session`).
extension SpoolTools {
    /// How long `session_start` waits for a worker to open the shell before it returns
    /// the queued session (a notice follows when it becomes ready).
    static let sessionReadyWait = Settings.sessionReadyWait

    func sessionStart(_ arguments: [String: Value]?) async throws -> CallToolResult {
        let args = try ToolArguments(.sessionStart, values: arguments)
        let (cwdArgument, shellArgument, envArgument) = (try args.string("cwd"), try args.string("shell"), try args.stringMap("env"))
        let settings: CommandSettings
        do {
            settings = try CommandSettings.check(cwd: cwdArgument, shell: shellArgument, env: envArgument, workingDirectory: workingDirectory)
        } catch { throw ToolError.problem(error, tool: args.tool) }
        let (cwd, shell, env) = (settings.cwd, settings.shell, settings.env)
        let (id, line) = try service.startSession(cwd: cwd, env: env, shell: shell, client: client.current)
        do { try await service.committer.commit(line) } catch {
            throw ToolError.refused(tool: args.tool, reason: "session \(id) was opened, but its audit line could not be made durable (\(error)); check the spool's disk")
        }
        let record = await service.waitReady(id, timeout: Self.sessionReadyWait)
            ?? SessionRecord(session: id, state: .queued, cwd: cwd, env: env, shell: shell, createdAt: .now)
        follow(id, announced: record.state != .queued)
        let view = SessionView(record, layout: service.layout, estimator: service.estimator(), order: service.order)
        var text = view.summary
        if record.state == .queued {
            text += "\nNo worker slot is free yet; commands sent with session \(id) wait until it opens. A notice (notifications/message) follows when it is ready."
        } else if record.state == .ready {
            text += "\nPass session: \"\(id)\" to run or start; cd and export persist between commands."
        }
        return CallToolResult(text: text, structuredContent: try Value(encoding: view),
                                   isError: record.state == .closed)
    }

    /// Sends `notifications/message` notices about a session this client started: when
    /// a queued one opens, and when it is reported abandoned. Ends when the session closes.
    private func follow(_ id: SessionID, announced: Bool) {
        let service = self.service, notify = self.notify
        Task {
            let directory = service.layout.session(id)
            try? await service.watcher.watch(directory, mask: WatchMask.arrivals) // without it, notices come only with other events
            var events = service.watcher.events().makeAsyncIterator()
            var milestones = SessionMilestones(ready: announced)
            var record = try? service.sessions.record(id) // unreadable: treated as not ready yet
            while let current = record, current.state != .closed {
                for milestone in milestones.observe(current) {
                    switch milestone {
                    case .ready(let worker, _):
                        await notify(["event": "session_ready", "session": id.rawValue, "worker": worker?.rawValue ?? ""])
                    case .abandoned(_, _, let lastActivity):
                        await notify(["event": "session_abandoned", "session": id.rawValue,
                                      "message": "session \(id) has been idle since \(lastActivity.map { "\($0)" } ?? "?"); it closes at the idle limit unless used"])
                    }
                }
                // Until the record changes (each write renames a new session.json in).
                var changed = false
                while let event = await events.next() {
                    if event.isOverflow || (event.directory == directory && event.name == SessionFile.record.rawValue) {
                        changed = true
                        break
                    }
                }
                if !changed { break }
                record = try? service.sessions.record(id) // as above
            }
            // One inotify watch per session would pile up over a long-lived spool-mcp.
            await service.watcher.unwatch(directory)
        }
    }

    struct SessionEndResult: Codable {
        var session: String
        var outcome: String
        var status: SessionView
    }

    func sessionEnd(_ arguments: [String: Value]?) throws -> CallToolResult {
        try endSession(try ToolArguments(.sessionEnd, values: arguments))
    }

    func endSession(_ args: ToolArguments) throws -> CallToolResult {
        let text = try args.requiredString("session", "the session id from session_start")
        guard let id = SessionID(text) else { throw ToolError.spool(.invalidJobID(text)) }
        let outcome = try service.endSession(id, tool: args.tool)
        let word: String, message: String
        switch outcome {
        case .dequeued: (word, message) = ("dequeued", "session \(id) had not opened yet; removed from the queue")
        case .closing: (word, message) = ("closing", "session \(id) closes after its current command; commands still waiting are cancelled")
        case .alreadyClosed: (word, message) = ("already_closed", "session \(id) was already closed")
        }
        let record = try service.session(id, tool: args.tool)
        let view = SessionView(record, layout: service.layout, estimator: nil, order: service.order)
        return CallToolResult(text: message + "\n" + view.summary, structuredContent: try Value(encoding: SessionEndResult(session: id.rawValue, outcome: word, status: view)))
    }

    struct SessionListResult: Codable {
        var sessions: [SessionView]
    }

    func sessionList(_ arguments: [String: Value]?) throws -> CallToolResult {
        let args = try ToolArguments(.sessionList, values: arguments)
        let all = try args.bool("all") ?? false
        let estimator = service.estimator()
        let views = service.sessionRecords(includingClosed: all)
            .map { SessionView($0, layout: service.layout, estimator: estimator, order: service.order) }
        let text = views.isEmpty ? "no open sessions" + (all ? "" : " (all: true also lists closed ones)")
            : views.map(\.summary).joined(separator: "\n")
        return CallToolResult(text: text, structuredContent: try Value(encoding: SessionListResult(sessions: views)))
    }
}
