import Foundation
import MCPWire
import Spool

/// The tasks extension (`io.modelcontextprotocol/tasks`): a job is a
/// task. `start`, and a `run` that outlasts its `wait`, answer a request that declared
/// the extension with a task whose record is on disk before the answer leaves.
extension MCPDispatcher {
    /// Writes the task record (fsync'ed) and answers with the task.
    func createTask(for job: JobID, tools: SpoolTools) throws -> [String: Value] {
        let record: TaskRecord
        do { record = try tasks.create(for: job) } catch {
            throw MCPError.internalError("job \(job) was queued and will run, but its task could not be recorded (\(error)); follow it with status, job \(job)")
        }
        var task = try taskValue(record, tools: tools, detailed: false)
        task["resultType"] = "task"
        return task
    }

    func taskID(_ request: MCPRequest) throws -> TaskID {
        guard case .string(let text)? = request.params["taskId"] else {
            throw MCPError.invalidParams("\(request.method) needs \"taskId\" (the task id a tools/call returned)")
        }
        guard let id = TaskID(text) else {
            throw MCPError.invalidParams("unknown task \(Value.string(text).shortDescription): a task id is 32 hex digits, as tools/call returned it", data: ["taskId": .string(text)])
        }
        return id
    }

    /// The record of a task whose job still exists, or -32602.
    func record(_ id: TaskID) throws -> TaskRecord {
        let record: TaskRecord?
        do { record = try tasks.record(id) } catch {
            throw MCPError.internalError("task \(id) cannot be read: \(error)")
        }
        guard let record, (try? service.snapshot(record.job)) != nil else {
            throw MCPError.invalidParams("unknown task \(id): no such task (never created here, or removed with its job after --retain)", data: ["taskId": .string(id.rawValue)])
        }
        return record
    }

    func taskGet(_ request: MCPRequest) throws -> [String: Value] {
        let record = try record(try taskID(request))
        return try taskValue(record, tools: tools(for: request, Context(sink: .none)), detailed: true)
    }

    /// Acknowledged whatever the id (the extension says so); a known task's job is
    /// cancelled as `cancel` does it.
    func taskCancel(_ request: MCPRequest) throws -> [String: Value] {
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
            task["result"] = try tools.finalResult(snapshot).value
        case .failed:
            task["error"] = ["code": .int(MCPError.Code.internalError),
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
