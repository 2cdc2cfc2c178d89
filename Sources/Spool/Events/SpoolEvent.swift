/// One line of the event journal, and (with the output bytes added) the `data:` of one
/// `/events` SSE event. The journal keeps no output bytes: an `output` event names a byte
/// range of `jobs/<id>/stdout` or `stderr`, and whoever delivers it reads that range, so
/// the files stay the log and the journal stays small.
public struct SpoolEvent: Codable, Sendable, Equatable {
    /// Increases by one per event, across restarts of the recorder: the SSE event id.
    public var id: UInt64
    public var type: SpoolEventType
    public var time: Timestamp
    public var job: JobID?
    public var worker: WorkerName?
    public var session: SessionID?
    public var priority: Priority?
    public var position: Int?
    public var state: JobState?
    public var exitCode: Int32?
    public var signal: Int32?
    public var stream: JobStream?
    public var offset: Int64?
    public var length: Int64?

    public init(id: UInt64 = 0, type: SpoolEventType, time: Timestamp = .now, job: JobID? = nil, worker: WorkerName? = nil,
                session: SessionID? = nil) {
        self.id = id
        self.type = type
        self.time = time
        self.job = job
        self.worker = worker
        self.session = session
    }

    /// Whether `?job=ID` selects this event (a session's own events match its id too).
    public func concerns(_ filter: JobID) -> Bool {
        job == filter || session?.opener == filter
    }
}

/// The SSE `event:` field of each event (DESIGN.md, "Transports and events").
public enum SpoolEventType: String, Codable, Sendable, CaseIterable {
    case queued, position, started, output, finished, cancelled
    case workerUp = "worker_up"
    case workerDown = "worker_down"
    case sessionReady = "session_ready"
    case sessionAbandoned = "session_abandoned"
}
