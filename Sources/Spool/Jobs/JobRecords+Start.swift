/// A claimed job's running status when its worker has not written one (yet).
extension JobRecords {
    /// The keeper's note of the start, if it is there (`KeeperStart`).
    public func keeperStart(_ id: JobID) -> KeeperStart? {
        guard let bytes = try? FileSystem.read(layout.job(id, .exitReserve), offset: 0, limit: 128) else { return nil }
        return KeeperStart(bytes)
    }

    /// `status.json`, else the running status the keeper's note of the start stands for
    /// (what the worker would have written): nil when neither is there.
    /// - Parameter claimed: the request as claimed by `worker`, for its priority and client.
    public func runningStatus(_ id: JobID, worker: WorkerName, claimed: () -> JobRequest?) throws(SpoolError) -> JobStatus? {
        if let status = try status(id) { return status }
        guard let start = keeperStart(id) else { return nil }
        let request = claimed()
        var status = JobStatus(job: id, state: .running, priority: request?.priority ?? .async, worker: worker, pid: start.pid,
                               supervisorPid: start.supervisorPid, createdAt: request?.createdAt ?? id.createdAt, startedAt: start.startedAt)
        status.keeperPid = start.keeperPid
        if start.tty { status.tty = true }
        status.session = request?.session
        return status
    }
}
