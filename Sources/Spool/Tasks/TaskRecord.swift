/// `tasks/<task id>.json`: which job an MCP task stands for. Written durably before the
/// task id is handed out, so a `tasks/get` after a crash or restart still finds the job.
public struct TaskRecord: Codable, Sendable, Equatable {
    public var task: TaskID
    public var job: JobID
    public var createdAt: Timestamp

    /// `createdAt` is kept to the millisecond, as the record's JSON holds it.
    public init(task: TaskID, job: JobID, createdAt: Timestamp = .now) {
        self.task = task
        self.job = job
        self.createdAt = Timestamp(nanoseconds: createdAt.nanoseconds / 1_000_000 * 1_000_000)
    }
}
