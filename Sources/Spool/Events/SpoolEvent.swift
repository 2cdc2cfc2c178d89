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
    /// `host_up` and `host_down`: the worker host (many hosts, as the sending relay sees them).
    public var host: String?
    public var session: SessionID?
    public var priority: Priority?
    public var position: Int?
    public var state: JobState?
    public var exitCode: Int32?
    public var signal: Int32?
    public var stream: JobStream?
    public var offset: Int64?
    public var length: Int64?
    /// `file`, `rotated` and `truncated`: the watched file's real path, the inode the
    /// offsets count in, and (for `file`) its bytes. Unlike job output, a watched file can
    /// be rotated or truncated under its name, so the journal keeps these bytes itself.
    public var path: String?
    public var inode: UInt64?
    public var data: String?
    public var dataBase64: String?
    /// `rotated`: bytes read from the previous file; `truncated`: the offset before.
    public var previousOffset: Int64?
    /// `backup_completed` and `backup_skipped`.
    public var commit: String?
    public var trigger: BackupTrigger?
    public var filesChanged: Int?
    public var reason: String?

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

    /// Whether `?path=P` selects this event: a file event for P, or for a file under P.
    public func concerns(path filter: String) -> Bool {
        guard type.isFileEvent, let path else { return false }
        return WatchRoots.isInside(path, folder: filter)
    }
}

/// The SSE `event:` field of each event (DESIGN.md, "Transports and events").
public enum SpoolEventType: String, Codable, Sendable, CaseIterable {
    case queued, position, started, output, finished, cancelled
    case workerUp = "worker_up"
    case workerDown = "worker_down"
    /// Many hosts: a worker host's receiving relay took its name, or its session ended.
    case hostUp = "host_up"
    case hostDown = "host_down"
    case sessionReady = "session_ready"
    case sessionAbandoned = "session_abandoned"
    /// Watched files (`--watch`): appended bytes, a new file under the name, a truncation.
    case file, rotated, truncated
    case backupCompleted = "backup_completed"
    case backupSkipped = "backup_skipped"

    /// The types that concern a watched file (selected by `/events?path=`).
    public var isFileEvent: Bool { self == .file || self == .rotated || self == .truncated }
}
