import Foundation
import MCPWire
import Spool

/// Carries out tool calls. Each tool is one method; all of them only touch files.
struct SpoolTools: Sendable {
    let service: JobService
    /// Resolves relative `cwd`s and is the default working directory of commands.
    let workingDirectory: String
    let peaks: Peaks
    /// Output carried inline by `run` (`--inline-output`).
    var budget: OutputBudget = .standard
    /// Longest silence between progress notifications of a `run` or `wait` whose client
    /// sent a progress token (clients reset their idle timers on progress).
    var progressKeepAlive: Duration = .seconds(Settings.progressKeepAlive)
    /// Sends an MCP log notification (session ready or abandoned).
    let notify: @Sendable (_ data: [String: String]) async -> Void
    /// `--watch`: the folders `file_tail` and `file_read` may read.
    var roots = WatchRoots.none
    /// `--backup`.
    var backups: BackupKeeper?
    /// Who calls (for the audit log and the request file).
    var client = ClientIdentity(AuditClient(transport: .stdio))

    /// The optional parts that are on, whose tools are listed.
    var features: Set<ToolFeature> {
        var features: Set<ToolFeature> = []
        if !roots.isEmpty { features.insert(.files) }
        if backups != nil { features.insert(.backups) }
        return features
    }

    static let defaultWait = Settings.toolWait

    /// - Throws: `invalidParams` for a name that is no tool (a protocol error, not a tool result).
    func call(_ name: String, _ arguments: [String: Value]?, progress: ProgressReporter? = nil, abandon: Abandon = .terminate) async throws -> CallToolResult {
        let features = self.features
        guard let tool = ToolName(rawValue: name) else {
            throw MCPError.invalidParams("Unknown tool '\(name.prefix(100))'; tools are \(ToolCatalog.tools(with: features).map(\.name).joined(separator: ", "))")
        }
        do {
            if let feature = tool.feature, !features.contains(feature) {
                throw ToolError.refused(tool: name, reason: "not available: start spool-mcp with \(feature.flag) to use it")
            }
            switch tool {
            case .run: return try await run(arguments, progress: progress, abandon: abandon)
            case .start: return try await start(arguments)
            case .status: return try status(arguments)
            case .output: return try output(arguments)
            case .tail: return try tail(arguments)
            case .wait: return try await wait(arguments, progress: progress)
            case .list: return try list(arguments)
            case .cancel: return try await cancel(arguments)
            case .promote: return try promote(arguments)
            case .sendInput: return try sendInput(arguments)
            case .screen: return try await screen(arguments)
            case .stats: return try await stats(arguments)
            case .sessionStart: return try await sessionStart(arguments)
            case .sessionEnd: return try sessionEnd(arguments)
            case .sessionList: return try sessionList(arguments)
            case .fileTail: return try fileTail(arguments)
            case .fileRead: return try fileRead(arguments)
            case .backupList: return try await backupList(arguments)
            case .backupDiff: return try await backupDiff(arguments)
            case .backupRestore: return try await backupRestore(arguments)
            }
        } catch let error as ToolError {
            refused(tool, arguments, reason: error.description)
            return CallToolResult(text: error.description, isError: true)
        } catch let error as SpoolError {
            refused(tool, arguments, reason: error.description)
            return CallToolResult(text: error.description, isError: true)
        }
    }

    /// The audit log's `refused` line for a request Spool would not accept (DESIGN.md).
    private func refused(_ tool: ToolName, _ arguments: [String: Value]?, reason: String) {
        guard [.run, .start, .sessionStart].contains(tool) else { return }
        audit(.refused, tool: tool) { line in
            line.reason = reason
            if case .string(let command)? = arguments?["command"] { line.command = String(command.prefix(4096)) }
        }
    }

    /// A line for something a client did to a job (cancelled, promoted).
    func audit(_ event: AuditEntry.Event, job: JobID? = nil, session: SessionID? = nil, tool: ToolName, update: (inout AuditEntry) -> Void = { _ in }) {
        var line = AuditEntry(event, host: AuditLog.host, client: client.current, job: job, session: session)
        line.tool = tool.rawValue
        update(&line)
        service.audit.record(line)
    }

    // MARK: run / start

    private func request(_ args: ToolArguments, priority: Priority) throws(ToolError) -> JobRequest {
        let command = try args.requiredString("command", "the shell command line to run")
        let stdin = try args.string("stdin")
        if let sessionText = try args.string("session") {
            return try sessionRequest(args, session: sessionText, command: command, stdin: stdin)
        }
        let (cwdArgument, shellArgument, envArgument) = (try args.string("cwd"), try args.string("shell"), try args.stringMap("env"))
        let settings: CommandSettings
        do {
            settings = try CommandSettings.check(cwd: cwdArgument, shell: shellArgument, env: envArgument, workingDirectory: workingDirectory)
        } catch { throw .problem(error, tool: args.tool) }
        var request = JobRequest(
            command: command, cwd: settings.cwd, env: settings.env,
            timeout: try args.number("timeout", range: 0.001...(30 * 86400)),
            stdin: stdin, shell: settings.shell, priority: priority)
        request.retries = try args.integer("retries", range: 0...JobRequest.maxRetries)
        request.tty = try args.bool("tty")
        request.cols = try args.integer("cols", range: TerminalSize.range)
        request.rows = try args.integer("rows", range: TerminalSize.range)
        request.client = client.current
        if let problem = request.requestProblem { throw .problem(problem, tool: args.tool) }
        return request
    }

    /// A command for a session's shell. It runs in the session's cwd and environment, so
    /// `cwd`, `env` and `shell` are refused rather than silently ignored.
    private func sessionRequest(_ args: ToolArguments, session text: String, command: String, stdin: String?) throws(ToolError) -> JobRequest {
        guard let session = SessionID(text) else { throw .spool(.invalidJobID(text)) }
        let record = try service.session(session, tool: args.tool)
        if record.state == .closed {
            throw .refused(tool: args.tool, reason: "session \(session) is closed (\(record.reason ?? "ended")); open a new one with session_start")
        }
        for name in ["cwd", "shell", "env"] where args.values[name] != nil {
            throw .invalid(tool: args.tool, argument: name, reason: "does not apply to a session command: the session's shell keeps its own \(name); use cd/export inside the session instead")
        }
        if stdin == JobRequest.stdinPipe {
            throw .invalid(tool: args.tool, argument: "stdin", reason: "\"pipe\" is not available for session commands (the session's shell owns its input); use start without session, or pass the input as a string")
        }
        if args.values["retries"] != nil {
            throw .invalid(tool: args.tool, argument: "retries", reason: "does not apply to a session command: a session lives on one host")
        }
        var request = JobRequest(command: command, timeout: try args.number("timeout", range: 0.001...(30 * 86400)),
                                 stdin: stdin, priority: .sync, session: session)
        request.client = client.current
        // Refused by `requestProblem` with what to do instead.
        request.tty = try args.bool("tty")
        request.cols = try args.integer("cols", range: TerminalSize.range)
        request.rows = try args.integer("rows", range: TerminalSize.range)
        if let problem = request.requestProblem { throw .problem(problem, tool: args.tool) }
        return request
    }

    /// What happens to a `run`'s job when its call is cancelled before the job ends,
    /// asked at that moment.
    struct Abandon: Sendable {
        let terminates: @Sendable () -> Bool

        /// The client cancelled the call (`notifications/cancelled`: the user pressed stop).
        static let terminate = Abandon { true }
        /// The client stopped listening (a 2026 HTTP stream closed): the job keeps running.
        static let detach = Abandon { false }
    }

    /// A `run`'s answer, with the job it queued and whether that job had ended.
    struct RunOutcome: Sendable {
        var result: CallToolResult
        var job: JobID
        var final: Bool
    }

    func run(_ arguments: [String: Value]?, progress: ProgressReporter? = nil, abandon: Abandon = .terminate) async throws -> CallToolResult {
        try await runJob(arguments, progress: progress, abandon: abandon).result
    }

    func runJob(_ arguments: [String: Value]?, progress: ProgressReporter? = nil, abandon: Abandon = .terminate) async throws -> RunOutcome {
        let args = try ToolArguments(.run, values: arguments)
        let wait = try args.number("wait", range: 0...300) ?? Self.defaultWait
        var request = try request(args, priority: .sync)
        // Its answer is the outcome: nothing more is promised unless the id is handed out.
        if request.session == nil { request.promise = .reply }
        let backupNote = await backUpBefore(request)
        let pending: JobService.Submission
        let snapshots: [JobID: JobInspector.Snapshot]
        if let progress {
            // The job folder exists before the request is queued, so its watch sees
            // every byte of output.
            let directory = service.layout.job(request.job)
            try FileSystem.makeJobFolder(request.job, layout: service.layout)
            try await service.watcher.watch(directory, mask: WatchMask.arrivals | WatchMask.changes)
            let events = service.watcher.events()
            pending = try service.submit(request, tool: args.tool)
            let follower = Task { await progress.follow(request.job, service: service, events: events, keepAlive: progressKeepAlive) }
            snapshots = await service.waitFinal([request.job], any: true, timeout: wait)
            follower.cancel()
            await service.watcher.unwatch(directory)
        } else {
            pending = try service.submit(request, tool: args.tool)
            snapshots = await service.waitFinal([request.job], any: true, timeout: wait)
        }
        guard let snapshot = snapshots[request.job] else { throw ToolError.spool(.unknownJob(request.job)) }
        if Task.isCancelled && !snapshot.status.state.isFinal {
            if abandon.terminates() { _ = try? service.cancel(request.job) } // the job may have just ended; nothing to stop then
            throw CancellationError() // nobody reads an answer to a cancelled call
        }
        // Only a reply that hands out the job id for later promises the job survives a
        // power cut; a complete result promises only itself, so no flush is on its path.
        if !snapshot.status.state.isFinal {
            try await commit(pending, job: request.job, tool: args.tool)
            if request.promise == .reply {
                do { try await service.promiseOutcome(request.job) } catch {
                    throw ToolError.refused(tool: args.tool, reason: "job \(request.job) runs on, but its outcome could not be promised to survive a power cut (\(error)); check the spool's disk, then use wait or status with job \(request.job)")
                }
            }
        }
        let estimator = snapshot.status.state == .queued ? service.estimator() : nil
        var view = JobView(snapshot, estimator: estimator)
        try attachOutput(&view)
        var text = view.summary
        if view.state == .queued, let estimator {
            text += "\nAll \(estimator.capacity) worker slot(s) are busy: it is still waiting after \(ToolArguments.format(wait)) s and stays queued. Use wait or status with job \(view.job), cancel it, or next time use start for work that can run in the background."
        } else if !view.state.isFinal {
            text += "\nStill \(view.state.rawValue) after \(ToolArguments.format(wait)) s; it keeps running. Use wait, status, output or tail with job \(view.job), or cancel it."
        } else if request.session == nil, let started = snapshot.status.startedAt,
                  started.seconds(since: snapshot.status.createdAt) >= Settings.slotWaitHint {
            text += "\n(It waited \(ToolArguments.format(started.seconds(since: snapshot.status.createdAt))) s for a free worker slot; for long or many commands, start runs them in the background.)"
        }
        if let backupNote { text += "\n" + backupNote }
        text += Self.outputText(view)
        let result = CallToolResult(text: text, structuredContent: try Value(encoding: view), isError: view.state.isFailure)
        return RunOutcome(result: result, job: request.job, final: view.state.isFinal)
    }

    /// What `run` answers for a job that has ended: the summary, the output inline within
    /// the budget, and `isError` for a failure (a task's `completed` result).
    func finalResult(_ snapshot: JobInspector.Snapshot) throws -> CallToolResult {
        var view = JobView(snapshot, estimator: nil)
        try attachOutput(&view)
        let text = view.summary + Self.outputText(view)
        return CallToolResult(text: text, structuredContent: try Value(encoding: view), isError: view.state.isFailure)
    }

    /// Makes a queued request durable before its job id is handed out.
    private func commit(_ pending: JobService.Submission, job: JobID, tool: String) async throws(ToolError) {
        // The accepted line is as durable as the reply that hands out the job id.
        do {
            async let line: Void = service.committer.commit(pending.audit)
            try await service.committer.commit(pending.request)
            try await line
        } catch {
            throw .refused(tool: tool, reason: "job \(job) was queued and will run, but it could not be made durable (\(error)), so it may not survive a power cut; check the spool's disk, then use status with job \(job)")
        }
    }

    func start(_ arguments: [String: Value]?) async throws -> CallToolResult {
        try await startJob(arguments).result
    }

    func startJob(_ arguments: [String: Value]?) async throws -> (result: CallToolResult, job: JobID) {
        let args = try ToolArguments(.start, values: arguments)
        let priority = try args.choice("priority", Priority.self) ?? .async
        let request = try request(args, priority: priority)
        let backupNote = await backUpBefore(request)
        try await commit(service.submit(request, tool: args.tool), job: request.job, tool: args.tool)
        // The index (or one listing) serves the census, the ETA and the position; the job
        // just queued is in it at once (the index may not have read its arrival yet; where
        // it is now is read from the folders).
        var queued = service.queueSnapshot()
        queued.insert(request.job, priority)
        let estimator = service.estimator(queued: queued)
        await peaks.observe(estimator.census)
        let view = JobView(try service.inspector.snapshot(request.job, queued: queued), estimator: estimator)
        return (CallToolResult(text: view.summary + (backupNote.map { "\n" + $0 } ?? ""), structuredContent: try Value(encoding: view)), request.job)
    }

    // MARK: reading

    func status(_ arguments: [String: Value]?) throws -> CallToolResult {
        let args = try ToolArguments(.status, values: arguments)
        let queued = service.queueSnapshot()
        let snapshot = try service.inspector.snapshot(try args.job(), queued: queued)
        let view = JobView(snapshot, estimator: snapshot.status.state == .queued ? service.estimator(queued: queued) : nil)
        // A query that worked is not an error, whatever the job's outcome (DESIGN.md).
        return CallToolResult(text: view.summary, structuredContent: try Value(encoding: view))
    }

    struct OutputChunk: Codable {
        var job: String
        var stream: JobStream
        var state: JobState
        var data: String?
        var dataBase64: String?
        var offset: Int64
        var nextOffset: Int64
        var size: Int64
        var eof: Bool
    }

    func output(_ arguments: [String: Value]?) throws -> CallToolResult {
        let args = try ToolArguments(.output, values: arguments)
        let id = try args.job()
        let stream = try args.choice("stream", JobStream.self) ?? .stdout
        let offset = Int64(try args.integer("offset", range: 0...Int(Int64.max / 2)) ?? 0)
        let limit = try args.integer("limit", range: 1...(1 << 20)) ?? (64 << 10)
        // State first: if the job was final before reading, what we read is complete.
        let state = try service.snapshot(id).status.state
        let size = service.records.outputSize(id, stream)
        var bytes = try service.read(id, stream, offset: offset, limit: limit)
        var chunk = OutputChunk(job: id.rawValue, stream: stream, state: state, offset: offset,
                                nextOffset: offset, size: size, eof: false)
        // Do not split a UTF-8 character across calls: hold back an incomplete tail.
        if offset + Int64(bytes.count) < size || !state.isFinal { bytes = UTF8Boundary.withoutIncompleteEnd(bytes) }
        (chunk.data, chunk.dataBase64) = TextOrBase64(bytes).pair
        chunk.nextOffset = offset + Int64(bytes.count)
        chunk.eof = state.isFinal && chunk.nextOffset >= size
        let header = "\(stream.rawValue) of job \(id), bytes \(offset)..<\(chunk.nextOffset) of \(size)\(chunk.eof ? " (end)" : "")"
        let body = chunk.data ?? "(not UTF-8: see dataBase64)"
        return CallToolResult(text: header + "\n" + body, structuredContent: try Value(encoding: chunk))
    }

    struct TailResult: Codable {
        var job: String
        var stream: JobStream
        var state: JobState
        var lines: Int
        var data: String
        /// The same text under the stream's own name, as DESIGN.md's result fields go.
        var stdout: String?
        var stderr: String?
        var truncated: Bool
    }

    func tail(_ arguments: [String: Value]?) throws -> CallToolResult {
        let args = try ToolArguments(.tail, values: arguments)
        let id = try args.job()
        let lines = try args.integer("lines", range: 1...10000) ?? 50
        let stream = try args.choice("stream", JobStream.self) ?? .stdout
        let state = try service.snapshot(id).status.state
        let (bytes, truncated) = try service.tail(id, stream, lines: lines)
        let text = String(decoding: bytes, as: UTF8.self)
        let result = TailResult(job: id.rawValue, stream: stream, state: state, lines: lines, data: text,
                                stdout: stream == .stdout ? text : nil, stderr: stream == .stderr ? text : nil,
                                truncated: truncated)
        return CallToolResult(text: text, structuredContent: try Value(encoding: result))
    }

    struct WaitResult: Codable {
        var jobs: [JobView]
        var completed: Bool
        var timedOut: Bool
    }

    func wait(_ arguments: [String: Value]?, progress: ProgressReporter? = nil) async throws -> CallToolResult {
        let args = try ToolArguments(.wait, values: arguments)
        let ids = try args.jobs("jobs")
        let timeout = try args.number("timeout", range: 0...300) ?? Self.defaultWait
        let any = try args.bool("any") ?? false
        for id in ids { _ = try service.snapshot(id) } // unknown ids are errors, not waits
        let keepAlive = progress.map { progress in
            Task { await progress.keepAlive(every: progressKeepAlive, jobs: ids, service: service) }
        }
        let snapshots = await service.waitFinal(ids, any: any, timeout: timeout)
        keepAlive?.cancel()
        let estimator = snapshots.values.contains { $0.status.state == .queued } ? service.estimator() : nil
        let views = ids.compactMap { snapshots[$0].map { JobView($0, estimator: estimator) } }
        let finals = views.filter { $0.state.isFinal }.count
        let completed = any ? finals > 0 : finals == ids.count
        let result = WaitResult(jobs: views, completed: completed, timedOut: !completed)
        var text = completed ? "" : "Timeout after \(ToolArguments.format(timeout)) s; \(finals) of \(ids.count) finished.\n"
        text += views.map(\.summary).joined(separator: "\n")
        return CallToolResult(text: text, structuredContent: try Value(encoding: result))
    }

    struct ListResult: Codable {
        var jobs: [JobView]
        var total: Int
    }

    func list(_ arguments: [String: Value]?) throws -> CallToolResult {
        let args = try ToolArguments(.list, values: arguments)
        let state = try args.choice("state", JobState.self)
        let limit = try args.integer("limit", range: 1...500) ?? 20
        var views: [JobView] = []
        // Newest first, read only as far as the page needs (the queue comes sorted from
        // the index, so a long queue costs nothing here).
        let all = service.inspector.newestFirst()
        // Read once, and only for a page that shows a queued job (its ETA).
        var estimator: QueueEstimator?
        for (id, place) in all {
            if views.count == limit { break }
            if let state {
                // Skip reading files for jobs whose folder already rules them out.
                switch (state, place) {
                case (.queued, .queued), (.running, .active): break
                case (.queued, _), (.running, _): continue
                case (_, .done), (_, .active): break
                default: continue
                }
            }
            guard let snapshot = try? service.snapshot(id) else { continue } // removed while listing (retention): not listed
            if let state, snapshot.status.state != state { continue }
            if snapshot.status.state == .queued, estimator == nil { estimator = service.estimator() }
            views.append(JobView(snapshot, estimator: estimator))
        }
        let text = views.isEmpty ? "no jobs" + (state.map { " in state \($0.rawValue)" } ?? "")
            : views.map(\.summary).joined(separator: "\n")
        return CallToolResult(text: text, structuredContent: try Value(encoding: ListResult(jobs: views, total: all.count)))
    }

    // MARK: cancel

    struct CancelResult: Codable {
        var job: String
        var outcome: String
        var state: JobState
        var status: JobView
    }

    func cancel(_ arguments: [String: Value]?) async throws -> CallToolResult {
        let args = try ToolArguments(.cancel, values: arguments)
        if args.values["session"] != nil {
            if args.values["job"] != nil {
                throw ToolError.invalid(tool: "cancel", argument: "session", reason: "cannot be combined with job: pass job to cancel one command, or session to close the session")
            }
            return try endSession(args)
        }
        let id = try args.job()
        let outcome = try service.cancel(id)
        audit(.cancelled, job: id, tool: .cancel) { $0.reason = "\(outcome)" }
        var text: String
        let word: String
        switch outcome {
        case .dequeued:
            word = "dequeued"
            text = "job \(id) was waiting; removed from the queue (it never ran)"
        case .terminating:
            // Report the outcome when it comes quickly; the grace period bounds it. Only a
            // job that ended cancelled is said to be terminated: one that ended on its own
            // first says so, and one that has not ended yet is still being cancelled.
            _ = await service.waitFinal([id], any: true, timeout: 10)
            let state = (try? service.snapshot(id))?.status.state
            switch state {
            case .cancelled?:
                word = "terminated"
                text = "job \(id) was running; its process group got TERM (and KILL after the grace period, if it was still there)"
            case let ended? where ended.isFinal:
                word = "already_finished"
                text = "job \(id) ended (\(ended.rawValue)) before the cancel reached it"
            default:
                word = "cancelling"
                text = "job \(id) is running; the cancel was requested and has not ended it yet (check status, or wait)"
            }
        case .alreadyFinished(let state):
            word = "already_finished"
            text = "job \(id) had already ended (\(state.rawValue)); nothing to cancel"
        }
        let view = JobView(try service.snapshot(id))
        text += "\n" + view.summary
        return CallToolResult(text: text, structuredContent: try Value(encoding: CancelResult(job: id.rawValue, outcome: word, state: view.state, status: view)))
    }

    // MARK: helpers

    /// Puts the end of each stream into the view, within one budget for both, and says
    /// where the inline part starts so `output` can read what is left out.
    private func attachOutput(_ view: inout JobView) throws {
        guard let id = JobID(view.job) else { return }
        let sizes = (stdout: service.records.outputSize(id, .stdout), stderr: service.records.outputSize(id, .stderr))
        let starts = budget.starts(stdout: sizes.stdout, stderr: sizes.stderr)
        var truncated = false
        for stream in JobStream.allCases {
            let size = stream == .stdout ? sizes.stdout : sizes.stderr
            var start = stream == .stdout ? starts.stdout : starts.stderr
            let read = try service.read(id, stream, offset: start, limit: Int(min(size - start, Int64(budget.bytes))))
            let (bytes, skipped) = OutputBudget.dropPartialCharacter(read, cut: start > 0)
            start += Int64(skipped)
            if start > 0 { truncated = true }
            let text = String(decoding: bytes, as: UTF8.self)
            if stream == .stdout {
                view.stdout = text
                view.stdoutOffset = start > 0 ? start : nil
            } else {
                view.stderr = text
                view.stderrOffset = start > 0 ? start : nil
            }
        }
        view.truncated = truncated || view.truncated == true
    }

    /// The readable text of a `run` result: the output itself is in the structured
    /// content only (clients such as Claude Code give the model that), so the text
    /// carries a short preview of each stream's end and where the rest is.
    private static func outputText(_ view: JobView) -> String {
        var text = ""
        for (name, output, offset, size) in [("stdout", view.stdout, view.stdoutOffset, view.stdoutBytes),
                                             ("stderr", view.stderr, view.stderrOffset, view.stderrBytes)] {
            guard let output, !output.isEmpty else { continue }
            let preview = preview(output)
            text += "\n--- \(name)" + (preview.count < output.count ? " (last \(preview.utf8.count) bytes; all \(output.utf8.count) inline bytes are in structuredContent.\(name))" : "") + " ---\n" + preview
            if let offset, let size {
                text += "\n(\(name) is \(size) bytes; bytes before \(offset) are not inline: read them with output {job: \"\(view.job)\", stream: \"\(name)\", offset: 0})"
            }
        }
        return text
    }

    static let previewBytes = 512

    /// At most the last `previewBytes` bytes, starting at a line (or character) boundary.
    private static func preview(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count > previewBytes else { return text }
        var tail = bytes.suffix(previewBytes)
        if let newline = tail.firstIndex(of: 10), newline < tail.endIndex - 1 { tail = tail[(newline + 1)...] }
        tail = tail.dropFirst(UTF8Boundary.continuationPrefix(tail))
        return String(decoding: tail, as: UTF8.self)
    }
}
