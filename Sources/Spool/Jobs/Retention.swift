/// Removes finished jobs older than the retention age (`--retain`), oldest first. Only
/// entries in `done/` are considered, so a running job is never touched; the request is
/// first renamed out of `done/` (one process wins), then its folder is deleted.
public struct Retention: Sendable {
    public let layout: SpoolLayout
    /// Seconds a finished job is kept; 0 keeps jobs forever.
    public let retain: Double

    public init(layout: SpoolLayout, retain: Double) {
        self.layout = layout
        self.retain = retain
    }

    /// Jobs removed by one sweep at most: a spool with tens of thousands to retire is
    /// cleared in batches between the worker's other duties, never in one long stall.
    public static let batch = 500

    /// Returns the number of jobs removed (at most `limit`; that many means more may wait).
    @discardableResult
    public func sweep(now: Timestamp = .now, limit: Int = Retention.batch) -> Int {
        guard retain > 0 else { return 0 }
        let cutoff = Timestamp(nanoseconds: now.nanoseconds - Int64(retain * 1e9))
        let sessions = SessionStore(layout: layout)
        var removed = 0
        var room = SpareInodes.limit - SpareInodes.count(layout)
        // A job finishes after it is created, so none created after the cutoff can have
        // finished before it: ids (creation order) bound the scan.
        let ids = FileSystem.list(layout.done).compactMap { JobID(fileName: $0) }.sorted()
        for id in ids {
            guard removed < limit, id.createdAt.nanoseconds <= cutoff.nanoseconds else { break }
            // Unreadable records age from the job's creation, so retention still removes them.
        let finishedAt = (try? JobRecords(layout: layout).status(id))?.finishedAt
                ?? (try? sessions.record(id))?.closedAt ?? id.createdAt
            guard finishedAt.nanoseconds <= cutoff.nanoseconds else { continue }
            let doomed = layout.tmp + "/" + StaleTemporaries.Entry.retiredPrefix + id.fileName
            guard (try? FileSystem.rename(layout.done(id), to: doomed)) == true else { continue } // the next sweep tries again
            if FileSystem.isDirectory(layout.session(id)) {
                Self.remove(id, request: doomed, layout: layout)
            } else {
                // Its inodes go to new jobs rather than back to the file system (SpareInodes).
                SpareInodes.recycle(id, request: doomed, layout: layout, room: &room)
            }
            removed += 1
        }
        if removed > 0 { TaskStore(layout: layout).prune() } // a task record goes with its job
        return removed
    }

    /// Removes what a retired job leaves: its folder, its session's if it opened one, and
    /// its request (renamed out of `done/` to `request`). Also for a retirement cut short
    /// (`StaleTemporaries`).
    static func remove(_ id: JobID, request: String, layout: SpoolLayout) {
        FileSystem.removeTree(layout.job(id))
        FileSystem.removeTree(layout.session(id))
        FileSystem.removeEntry(request)
    }
}
