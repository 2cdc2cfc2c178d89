/// What the reply that queued a job promised about its outcome (DESIGN.md, "Durability
/// follows the promise"), and so whether its final record is flushed to disk when filed.
public enum JobPromise: String, Codable, Sendable {
    /// The reply handed out the job id (`start`, a queued session command): the outcome
    /// must survive a power cut, so its final record is flushed when it is filed.
    case jobID = "job-id"
    /// Queued by a `run`, which answers with the outcome itself: that answer is all it
    /// promises. The final record is left to the kernel's writeback unless the `run`
    /// handed out the job id after all (its wait ran out), which `jobs/<id>/promised` marks.
    case reply
}
