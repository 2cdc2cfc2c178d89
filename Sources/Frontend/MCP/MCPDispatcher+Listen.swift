import Foundation
import MCPWire
import ServiceLifecycle
import Spool
import Synchronization

/// `subscriptions/listen`: the request's own response stream carries the notifications
/// the client opted in to, each tagged with the listen request's id, until the client
/// goes (its stream closes) or spool-mcp shuts down (a final result: a graceful close).
extension MCPDispatcher {
    func listen(_ request: MCPRequest, _ context: Context) async throws -> [String: Value] {
        let sink = context.sink
        guard case .object(let filter)? = request.params["notifications"] else {
            throw MCPError.invalidParams("subscriptions/listen needs \"notifications\": an object such as {\"resourceSubscriptions\": [\"spool://jobs/<id>/stdout\"], \"tasksStatus\": [\"<task id>\"]}")
        }
        let meta: Value = [.init(stringLiteral: ModernProtocol.subscriptionIDKey): request.id.value]
        let target = subscriptionTarget

        // Honored: what can be followed. The lists never change while spool-mcp runs, so
        // their list_changed types are left out of the acknowledgement (never sent).
        var uris: [String] = []
        for case .string(let uri) in filter["resourceSubscriptions"]?.arrayValue ?? [] where !uris.contains(uri) {
            if (try? await target(uri)) != nil { uris.append(uri) }
        }
        var records: [(key: String, record: TaskRecord)] = []
        for key in ["tasksStatus", "taskIds"] {
            for case .string(let text) in filter[key]?.arrayValue ?? [] {
                guard let id = TaskID(text), let record = try? record(id), !records.contains(where: { $0.record.task == id }) else { continue }
                records.append((key, record))
            }
        }
        var honored: [String: Value] = [:]
        if !uris.isEmpty { honored["resourceSubscriptions"] = .array(uris.map { .string($0) }) }
        for key in ["tasksStatus", "taskIds"] {
            let ids = records.filter { $0.key == key }.map { Value.string($0.record.task.rawValue) }
            if !ids.isEmpty { honored[key] = .array(ids) }
        }

        let (stream, continuation) = AsyncStream<(method: String, params: Value)>.makeStream(bufferingPolicy: .bufferingOldest(NoticeBacklog.limit))
        let overflowed = OverflowFlag()
        let post: @Sendable (String, Value) -> Void = { method, params in
            guard case .object(var object) = params else { return }
            var tagged = object["_meta"]?.objectValue ?? [:]
            tagged[ModernProtocol.subscriptionIDKey] = meta.objectValue?[ModernProtocol.subscriptionIDKey]
            object["_meta"] = .object(tagged)
            if case .dropped = continuation.yield((method, .object(object))) {
                overflowed.set()
                continuation.finish()
            }
        }
        // Subscribed before the acknowledgement, which is still the first frame: this task
        // alone writes the stream, and it drains the backlog only after the ack.
        let subscriptions = ResourceSubscriptions(watcher: service.watcher, target: target) { uri in
            post("notifications/resources/updated", ["uri": .string(uri)])
        }
        for uri in uris { try? await subscriptions.subscribe(uri) } // checked above; a job removed since then just stays quiet
        let followers = Task {
            await withTaskGroup(of: Void.self) { group in
                for (_, record) in records {
                    group.addTask { await follow(record, post: post) }
                }
            }
        }
        defer { followers.cancel() }

        guard await sink.notify("notifications/subscriptions/acknowledged", ["notifications": .object(honored), "_meta": meta]) else {
            await subscriptions.cancelAll()
            return ["_meta": meta]
        }
        await withGracefulShutdownHandler {
            for await (method, params) in stream {
                if !(await sink.notify(method, params)) { break }
            }
        } onGracefulShutdown: {
            continuation.finish()
        }
        await subscriptions.cancelAll()
        if overflowed.isSet {
            throw MCPError.internalError("the listen stream fell \(NoticeBacklog.limit) notifications behind and was ended; listen again and re-read what you follow",
                                         data: ["subscriptionId": request.id.value])
        }
        return ["_meta": meta]
    }

    /// Sends `notifications/tasks/status` whenever the task's status or message changes,
    /// woken by inotify on its job's folder and on done/; ends when the task does.
    private func follow(_ record: TaskRecord, post: @escaping @Sendable (String, Value) -> Void) async {
        let directory = service.layout.job(record.job)
        let done = service.layout.done, doneName = record.job.fileName
        let events = service.watcher.events()
        try? FileSystem.makeDirectory(directory) // a queued job's folder, so its start is seen
        try? await service.watcher.watch(directory, mask: WatchMask.arrivals | WatchMask.changes)
        let tools = tools(for: MCPRequest(id: .int(0), method: "tasks/get", params: [:], revision: .envelope), Context(sink: .none))
        var last: (status: Value?, message: Value?) = (nil, nil)
        func check() -> Bool {
            guard let task = try? taskValue(record, tools: tools, detailed: true) else { return true } // removed: nothing more to say
            if task["status"] != last.status || task["statusMessage"] != last.message {
                last = (task["status"], task["statusMessage"])
                post("notifications/tasks/status", .object(task))
            }
            return task["status"] != .string(TaskState.working.rawValue)
        }
        if check() { return }
        for await event in events where event.directory == directory || (event.directory == done && event.name == doneName) || event.isOverflow {
            if Task.isCancelled || check() { return }
            await Pause.for(.milliseconds(50)) // later writes fold into the next check
        }
    }
}
