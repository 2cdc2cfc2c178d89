import Glibc

/// The waiting part of the spool: submitting, listing in serving order, claiming and
/// cancelling, all by `rename(2)` so that exactly one process wins each transition.
public struct SpoolQueue: Sendable {
    public let layout: SpoolLayout
    public var order: QueueOrder

    public init(layout: SpoolLayout, order: QueueOrder = QueueOrder()) {
        self.layout = layout
        self.order = order
    }

    /// Writes a request into its queue folder (durably: once this returns, it is accepted).
    /// Refuses (before anything is written) a request larger than `JobRequest.maxFileBytes`.
    public func submit(_ request: JobRequest) throws(SpoolError) {
        try AtomicFile.write(request.encodedForSpool(), to: layout.queued(request.job, request.priority), layout: layout)
    }

    /// Waiting requests with well-formed names. Files that are not requests are reported
    /// through `foreign` so the caller can move them aside.
    public func entries(foreign: ((String, Priority) -> Void)? = nil) -> [QueueEntry] {
        var result: [QueueEntry] = []
        for priority in Priority.allCases {
            for name in FileSystem.list(layout.queue(priority)) {
                if let id = JobID(fileName: name) {
                    result.append(QueueEntry(id: id, priority: priority))
                } else {
                    foreign?(name, priority)
                }
            }
        }
        return result
    }

    /// Where a job waits, if it does.
    public func find(_ id: JobID) -> Priority? {
        Priority.allCases.first { FileSystem.exists(layout.queued(id, $0)) }
    }

    /// Moves the request into `active/<worker>/`. False when another process got it first.
    public func claim(_ entry: QueueEntry, worker: WorkerName) throws(SpoolError) -> Bool {
        try FileSystem.rename(layout.queued(entry.id, entry.priority), to: layout.active(entry.id, worker: worker))
    }

    /// Puts a claimed request that never started back in its queue.
    public func requeue(_ id: JobID, priority: Priority, from worker: WorkerName) throws(SpoolError) -> Bool {
        try FileSystem.rename(layout.active(id, worker: worker), to: layout.queued(id, priority))
    }

    /// Moves a file that cannot be used to `bad/`, with `<name>.reason` beside it.
    /// Never throws: a file that cannot even be moved aside is left where it is.
    @discardableResult
    public func quarantine(_ path: String, reason: String) -> Bool {
        guard let slash = path.lastIndex(of: "/") else { return false }
        var name = String(path[path.index(after: slash)...])
        if FileSystem.exists(layout.bad + "/" + name) { name += ".\(Timestamp.now.nanoseconds)" }
        let target = layout.bad + "/" + name
        do {
            guard try FileSystem.rename(path, to: target) else { return false }
        } catch {
            SpoolLog.logger.error("cannot move \(path) aside to bad/ (\(reason)): \(error)")
            return false
        }
        let text = "\(reason)\nfound at \(path) on \(Timestamp.now)\n"
        do {
            try AtomicFile.write(Array(text.utf8), to: target + ".reason", layout: layout)
        } catch {
            SpoolLog.logger.error("moved \(path) to \(target) but cannot write its reason (\(reason)): \(error)")
        }
        return true
    }
}
