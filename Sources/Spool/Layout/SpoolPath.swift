/// What a path inside the spool is, parsed by `SpoolLayout.classify`: the one parser of
/// spool paths, as `SpoolLayout` is the one builder. Names that are not well formed (a
/// foreign file in a queue folder, say) are `.foreign` with the folder they are in.
public enum SpoolPath: Sendable, Equatable {
    case queueFolder(Priority)
    case queued(JobID, Priority)
    case activeFolder
    case workerFolder(WorkerName)
    case claimed(JobID, WorkerName)
    case doneFolder
    case done(JobID)
    case jobsFolder
    case jobFolder(JobID)
    case jobFile(JobID, name: String)
    case workersFolder
    case workerRecord(WorkerName)
    case workerLock(WorkerName)
    case sessionsFolder
    case sessionFolder(SessionID)
    case sessionFile(SessionID, name: String)
    case sessionQueueFolder(SessionID)
    case sessionQueued(JobID, session: SessionID)
    case sessionRunningFolder(SessionID)
    case sessionRunning(JobID, session: SessionID)
    /// Inside a known folder, but not a name that folder holds.
    case foreign(name: String)
    /// Outside the parts of the spool listed above.
    case other
}

extension SpoolLayout {
    /// Parses `path` (absolute, as built by this layout) into what it names.
    public func classify(_ path: String) -> SpoolPath {
        guard path.hasPrefix(root + "/") else { return .other }
        let parts = path.dropFirst(root.count + 1).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let top = parts.first else { return .other }
        let rest = Array(parts.dropFirst())
        switch top {
        case "queue":
            guard let folder = rest.first else { return .other }
            guard let priority = Priority(rawValue: folder) else { return .foreign(name: folder) }
            if rest.count == 1 { return .queueFolder(priority) }
            guard rest.count == 2, let id = JobID(fileName: rest[1]) else { return .foreign(name: rest.last ?? "") }
            return .queued(id, priority)
        case "active":
            if rest.isEmpty { return .activeFolder }
            guard let worker = WorkerName(rest[0]) else { return .foreign(name: rest[0]) }
            if rest.count == 1 { return .workerFolder(worker) }
            guard rest.count == 2, let id = JobID(fileName: rest[1]) else { return .foreign(name: rest.last ?? "") }
            return .claimed(id, worker)
        case "done":
            if rest.isEmpty { return .doneFolder }
            guard rest.count == 1, let id = JobID(fileName: rest[0]) else { return .foreign(name: rest.last ?? "") }
            return .done(id)
        case "jobs":
            if rest.isEmpty { return .jobsFolder }
            guard let id = JobID(rest[0]) else { return .foreign(name: rest[0]) }
            if rest.count == 1 { return .jobFolder(id) }
            return rest.count == 2 ? .jobFile(id, name: rest[1]) : .foreign(name: rest.last ?? "")
        case "workers":
            if rest.isEmpty { return .workersFolder }
            let name = rest[0]
            if rest.count == 1, name.hasSuffix(".json"), let worker = WorkerName(String(name.dropLast(5))) { return .workerRecord(worker) }
            if rest.count == 1, name.hasSuffix(".lock"), let worker = WorkerName(String(name.dropLast(5))) { return .workerLock(worker) }
            return .foreign(name: name)
        case "sessions":
            if rest.isEmpty { return .sessionsFolder }
            guard let session = SessionID(rest[0]) else { return .foreign(name: rest[0]) }
            if rest.count == 1 { return .sessionFolder(session) }
            switch (rest[1], rest.count) {
            case ("queue", 2): return .sessionQueueFolder(session)
            case ("running", 2): return .sessionRunningFolder(session)
            case ("queue", 3): return JobID(fileName: rest[2]).map { .sessionQueued($0, session: session) } ?? .foreign(name: rest[2])
            case ("running", 3): return JobID(fileName: rest[2]).map { .sessionRunning($0, session: session) } ?? .foreign(name: rest[2])
            case (let name, 2): return .sessionFile(session, name: name)
            default: return .foreign(name: rest.last ?? "")
            }
        default:
            return .other
        }
    }
}
