import Foundation
import MCP
import Spool

/// `tools/call`, and the tasks extension (`io.modelcontextprotocol/tasks`): a job is a
/// task. `start`, and a `run` that outlasts its `wait`, answer a request that declared
/// the extension with a task whose record is on disk before the answer leaves.
extension ModernServer {
    func call(_ request: ModernRequest, sink: ModernSink, abandon: SpoolTools.Abandon) async throws -> [String: Value] {
        guard case .string(let name)? = request.params["name"] else {
            throw ModernError.invalidParams("tools/call needs \"name\" (a tool name string)")
        }
        var arguments: [String: Value]?
        switch request.params["arguments"] {
        case nil, .null?: arguments = nil
        case .object(let object)?: arguments = object
        case let other?: throw ModernError.invalidParams("\"arguments\" of tools/call must be an object of the tool's arguments, got \(other.shortDescription)")
        }
        let tools = tools(for: request, sink: sink)
        let progress = request.progressToken.map { value in
            let token: ProgressToken = if case .string(let text) = value { .string(text) } else { .integer(value.intValue ?? 0) }
            return ProgressReporter(token: token) { parameters in
                guard let value = try? PlainJSON.value(of: parameters) else { return }
                _ = await sink.notify("notifications/progress", value)
            }
        }
        if request.acceptsTasks, let tool = ToolName(rawValue: name), tool == .start || tool == .run {
            do {
                if tool == .start {
                    let (_, job) = try await tools.startJob(arguments)
                    return try createTask(for: job, tools: tools)
                }
                let outcome = try await tools.runJob(arguments, progress: progress, abandon: abandon)
                if outcome.final { return try PlainJSON.value(of: outcome.result).objectValue ?? [:] }
                return try createTask(for: outcome.job, tools: tools)
            } catch let error as ToolError {
                return toolError(error.description)
            } catch let error as SpoolError {
                return toolError(error.description)
            }
        }
        let result = try await tools.call(name, arguments, progress: progress, abandon: abandon)
        return try PlainJSON.value(of: result).objectValue ?? [:]
    }

    private func toolError(_ text: String) -> [String: Value] {
        ["content": [["type": "text", "text": .string(text)]], "isError": true]
    }

    /// Writes the task record (fsync'ed) and answers with the task.
    private func createTask(for job: JobID, tools: SpoolTools) throws -> [String: Value] {
        let record: TaskRecord
        do { record = try tasks.create(for: job) } catch {
            throw ModernError(code: ModernProtocol.Code.internalError,
                              message: "job \(job) was queued and will run, but its task could not be recorded (\(error)); follow it with status, job \(job)")
        }
        var task = try taskValue(record, tools: tools, detailed: false)
        task["resultType"] = "task"
        return task
    }

    func taskID(_ request: ModernRequest) throws -> TaskID {
        guard case .string(let text)? = request.params["taskId"] else {
            throw ModernError.invalidParams("\(request.method) needs \"taskId\" (the task id a tools/call returned)")
        }
        guard let id = TaskID(text) else {
            throw ModernError.invalidParams("unknown task \(Value.string(text).shortDescription): a task id is 32 hex digits, as tools/call returned it", data: ["taskId": .string(text)])
        }
        return id
    }

    /// The record of a task whose job still exists, or -32602.
    func record(_ id: TaskID) throws -> TaskRecord {
        let record: TaskRecord?
        do { record = try tasks.record(id) } catch {
            throw ModernError(code: ModernProtocol.Code.internalError, message: "task \(id) cannot be read: \(error)")
        }
        guard let record, (try? service.snapshot(record.job)) != nil else {
            throw ModernError.invalidParams("unknown task \(id): no such task (never created here, or removed with its job after --retain)", data: ["taskId": .string(id.rawValue)])
        }
        return record
    }

    func taskGet(_ request: ModernRequest) throws -> [String: Value] {
        let record = try record(try taskID(request))
        return try taskValue(record, tools: tools(for: request, sink: .none), detailed: true)
    }

    /// Acknowledged whatever the id (the extension says so); a known task's job is
    /// cancelled as `cancel` does it.
    func taskCancel(_ request: ModernRequest) throws -> [String: Value] {
        guard let id = try? taskID(request), let record = try? tasks.record(id) else { return [:] }
        _ = try? service.cancel(record.job) // already ended: nothing to cancel, and still an ack
        return [:]
    }

    /// A task as `tasks/get` and `notifications/tasks/status` carry it; `detailed` adds
    /// the final result (completed) or the error (failed).
    func taskValue(_ record: TaskRecord, tools: SpoolTools, detailed: Bool) throws -> [String: Value] {
        let snapshot = try service.snapshot(record.job)
        let status = snapshot.status
        let state = TaskState(status)
        let updated = status.finishedAt ?? status.startedAt ?? status.createdAt
        var task: [String: Value] = [
            "taskId": .string(record.task.rawValue),
            "status": .string(state.rawValue),
            "createdAt": .string(record.createdAt.description),
            "lastUpdatedAt": .string(max(updated, record.createdAt).description),
            "pollIntervalMs": .int(Int(pollInterval.components.seconds * 1000 + pollInterval.components.attoseconds / 1_000_000_000_000_000)),
            "statusMessage": .string(statusMessage(snapshot, state: state)),
        ]
        // Kept for --retain after the job ends (0 keeps it forever).
        if retain > 0 {
            let end = status.finishedAt ?? .now
            task["ttlMs"] = .int(Int((end.seconds(since: record.createdAt) + retain) * 1000))
        } else {
            task["ttlMs"] = .null
        }
        guard detailed else { return task }
        switch state {
        case .completed:
            task["result"] = try PlainJSON.value(of: tools.finalResult(snapshot))
        case .failed:
            task["error"] = ["code": .int(ModernProtocol.Code.internalError),
                             "message": .string("job \(record.job) \(status.state == .lost ? "was lost" : "could not be run"): \(status.reason ?? "no reason recorded")"),
                             "data": ["job": .string(record.job.rawValue), "state": .string(status.state.rawValue)]]
        case .working, .cancelled:
            break
        }
        return task
    }

    private func statusMessage(_ snapshot: JobInspector.Snapshot, state: TaskState) -> String {
        let status = snapshot.status
        let job = status.job
        switch status.state {
        case .queued:
            let eta = service.estimator().eta(snapshot).map { ", ETA ~\(ToolArguments.format($0)) s" } ?? ""
            let position = snapshot.position.map { "position \($0) in the \(status.priority.rawValue) queue" } ?? "waiting for a worker"
            return "job \(job) queued: \(position)\(eta)"
        case .running:
            let tail = (try? service.tail(job, .stdout, lines: 1, maxBytes: 200).text) ?? []
            let line = String(decoding: tail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return line.isEmpty ? "job \(job) running, no output yet" : line
        default:
            return JobView(snapshot, estimator: nil).summary
        }
    }
}
