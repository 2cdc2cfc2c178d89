/// The task records of a spool (`tasks/`). A record outlives nothing: retention removes
/// it with its job (`prune`), and a record whose job is gone reads as unknown.
public struct TaskStore: Sendable {
    public let layout: SpoolLayout

    public init(layout: SpoolLayout) {
        self.layout = layout
    }

    /// Creates a task for `job`, fsync'ed (file and folder) before it returns.
    public func create(for job: JobID) throws(SpoolError) -> TaskRecord {
        let record = TaskRecord(task: .make(), job: job)
        try FileSystem.makeDirectory(layout.tasks)
        try AtomicFile.write(json: record, to: layout.task(record.task), layout: layout, durable: true)
        return record
    }

    /// The record of `id`, or nil when there is none (never created, or retired with its job).
    public func record(_ id: TaskID) throws(SpoolError) -> TaskRecord? {
        guard let record = try SpoolJSON.load(TaskRecord.self, from: layout.task(id)) else { return nil }
        guard record.task == id else {
            throw .corruptFile(path: layout.task(id), reason: "it names task \(record.task), not \(id)")
        }
        return record
    }

    /// Removes the records whose jobs no longer exist; returns how many.
    @discardableResult
    public func prune() -> Int {
        var removed = 0
        for name in FileSystem.list(layout.tasks) where name.hasSuffix(".json") {
            let path = layout.tasks + "/" + name
            guard let record = try? SpoolJSON.load(TaskRecord.self, from: path) else { continue } // unreadable: kept for a human to look at
            if !FileSystem.isDirectory(layout.job(record.job)) && !FileSystem.exists(layout.done(record.job)) {
                FileSystem.remove(path)
                removed += 1
            }
        }
        return removed
    }
}

extension SpoolLayout {
    /// `tasks/`: one file per MCP task (2026-07-28 with the tasks extension).
    public var tasks: String { root + "/tasks" }
    public func task(_ id: TaskID) -> String { tasks + "/" + id.rawValue + ".json" }
}
