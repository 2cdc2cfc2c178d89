/// What a job's request says about it that its record keeps: who it is and how it waits.
public struct JobOrigin: Sendable, Equatable {
    public var job: JobID
    public var priority: Priority
    public var createdAt: Timestamp
    public var session: SessionID?
    public var timeout: Double?
    /// Who asked, for the audit log's `finished` line.
    public var client: AuditClient?
    /// What the outcome was promised (`JobPromise`); a job run for another host's relay is
    /// always `.jobID`, since the marker would be on that host.
    public var promise: JobPromise = .jobID

    public init(job: JobID, priority: Priority, createdAt: Timestamp? = nil, session: SessionID? = nil, timeout: Double? = nil) {
        self.job = job
        self.priority = priority
        self.createdAt = createdAt ?? job.createdAt
        self.session = session
        self.timeout = timeout
    }

    public init(_ request: JobRequest) {
        self.init(job: request.job, priority: request.priority, createdAt: request.createdAt,
                  session: request.session, timeout: request.timeout)
        client = request.client
        if request.claim == nil, let promise = request.promise { self.promise = promise }
    }
}
