/// What a worker finds about a request it has just claimed (moved into its `active/`
/// folder), and the rule for what to do with it. `ClaimFacts.read` reads; `admission`
/// decides; the worker carries it out.
public struct ClaimFacts: Sendable, Equatable {
    public var entry: QueueEntry
    /// A symlink or folder in a queue is never followed.
    public var isRegularFile: Bool
    public var request: JobFacts.Record<JobRequest>
    /// Why the spool already has a record of this job (a copy of a finished request put
    /// back into the queue, say), or nil.
    public var earlierRecord: String?

    public init(entry: QueueEntry, isRegularFile: Bool, request: JobFacts.Record<JobRequest>, earlierRecord: String? = nil) {
        self.entry = entry
        self.isRegularFile = isRegularFile
        self.request = request
        self.earlierRecord = earlierRecord
    }

    public enum Admission: Sendable, Equatable {
        /// Not a request this spool can use: to `bad/`, with the reason.
        case quarantine(reason: String)
        /// A request that can never run: filed as `failed` with the problem, nothing started.
        case reject(JobRequest, RequestProblem)
        case openSession(JobRequest)
        case run(JobRequest)
    }

    public var admission: Admission {
        guard isRegularFile else {
            return .quarantine(reason: "not a regular file (symlinks and folders are not accepted in the queue)")
        }
        var request: JobRequest
        switch self.request {
        case .present(let value): request = value
        case .unreadable(let error): return .quarantine(reason: "\(error)")
        case .absent: return .quarantine(reason: "the request file vanished after it was claimed")
        }
        guard request.job == entry.id else {
            return .quarantine(reason: "its job field (\(request.job)) does not match its file name")
        }
        if let earlierRecord {
            // Running it would overwrite the first job's record, so such a copy never runs.
            return .quarantine(reason: "duplicate of job \(entry.id): \(earlierRecord); the original record is kept as it was")
        }
        // The folder is the truth about priority (`promote` only renames).
        request.priority = entry.priority
        if let problem = request.requestProblem { return .reject(request, problem) }
        return request.opensSession ? .openSession(request) : .run(request)
    }

    /// Reads the claimed request at `active/<worker>/<id>.json`.
    public static func read(_ entry: QueueEntry, worker: WorkerName, layout: SpoolLayout) -> ClaimFacts {
        let path = layout.active(entry.id, worker: worker)
        guard FileSystem.isRegularFile(path) else { return ClaimFacts(entry: entry, isRegularFile: false, request: .absent) }
        let request = JobFacts.Record { () throws(SpoolError) in
            try JobRequest.load(path: path, defaults: RequestDefaults(job: entry.id, priority: entry.priority))
        }
        var facts = ClaimFacts(entry: entry, isRegularFile: true, request: request)
        if let value = request.value {
            // Sessions are requeued under their own id when their worker dies; their state
            // lives in sessions/, so only a finished one is a duplicate.
            facts.earlierRecord = value.opensSession
                ? (FileSystem.exists(layout.done(entry.id)) ? "it has already ended" : nil)
                : JobRecords(layout: layout).duplicateRecord(of: entry.id, claimedBy: worker)
        }
        return facts
    }
}
