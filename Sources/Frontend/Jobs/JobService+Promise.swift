import Glibc
import Spool

extension JobService {
    /// A `run` hands out its job's id after all (its wait ran out, or it became a task):
    /// from now on the outcome is promised to survive a power cut (`JobPromise.reply`).
    ///
    /// Marks the job (`jobs/<id>/promised`), so that its worker flushes the final record
    /// when it files it, then looks whether the job was filed already, without a flush,
    /// and flushes its record here. The worker looks for the mark after its move to
    /// `done/`, and this looks for the move after the mark, so at least one of the two
    /// flushes it.
    func promiseOutcome(_ id: JobID) async throws(SpoolError) {
        try FileSystem.makeDirectory(layout.job(id)) // a queued job's folder may not exist yet
        let marker = layout.job(id, .promised)
        let fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(operation: "marking the outcome as promised", path: marker, errno: errno) }
        close(fd)
        guard FileSystem.exists(layout.done(id)),
              let record = try PendingSync.existing(layout.job(id, .status), directories: [layout.job(id), layout.done])
        else { return }
        try await committer.commit(record)
    }
}
