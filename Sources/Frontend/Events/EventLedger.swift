import Spool

/// What the event journal has announced, as a value, and the events each observed spool
/// change adds to it: restore from the journal, then fold observations in. No I/O, so
/// every rule is tested by replaying journals (`Tests/FrontendTests/EventLedgerTests`);
/// `EventRecorder` reads the spool, feeds the ledger and appends what it returns.
struct EventLedger: Sendable, Equatable {
    struct Tracked: Sendable, Equatable {
        var priority: Priority
        var session: SessionID?
        var running = false
        var position: Int?
        var offsets: [JobStream: Int64] = [.stdout: 0, .stderr: 0]
    }

    private(set) var jobs: [JobID: Tracked] = [:]
    private(set) var workers: Set<WorkerName> = []
    /// Worker hosts reported live by the sending relay.
    private(set) var hosts: Set<String> = []
    private(set) var sessions: [SessionID: SessionMilestones] = [:]
    /// Finished jobs newer than this are announced when found in done/ unseen.
    private(set) var announcedUntil: Timestamp
    /// Jobs announced finished since `announcedUntil`, most recent last: a comparison with
    /// the spool (after an inotify overflow) finds them in done/ untracked, and must not
    /// announce them again. Bounded; `caughtUp` empties it.
    private var finishedSince: [JobID] = []
    private var finishedSinceSet: Set<JobID> = []
    static let finishedMemory = 4096
    /// Larger output is split into several events, so one event stays a readable size.
    static let maxOutputEvent: Int64 = 16 << 10

    init(announcedUntil: Timestamp = .now) {
        self.announcedUntil = announcedUntil
    }

    /// What earlier runs announced, from the journal (oldest first).
    mutating func restore(_ history: [SpoolEvent]) {
        for event in history {
            switch event.type {
            case .queued, .position:
                if let job = event.job {
                    var tracked = jobs[job] ?? Tracked(priority: event.priority ?? .sync, session: event.session)
                    tracked.priority = event.priority ?? tracked.priority
                    tracked.position = event.position ?? tracked.position
                    jobs[job] = tracked
                }
            case .started:
                if let job = event.job {
                    jobs[job, default: Tracked(priority: event.priority ?? .sync, session: event.session)].running = true
                }
            case .output:
                if let job = event.job, let stream = event.stream, let offset = event.offset, let length = event.length {
                    jobs[job, default: Tracked(priority: .sync)].offsets[stream] = offset + length
                }
            case .finished, .cancelled:
                if let job = event.job { jobs[job] = nil }
            case .workerUp:
                if let worker = event.worker { workers.insert(worker) }
            case .workerDown:
                if let worker = event.worker { workers.remove(worker) }
            case .hostUp:
                if let host = event.host { hosts.insert(host) }
            case .hostDown:
                if let host = event.host { hosts.remove(host) }
            case .sessionReady, .sessionAbandoned:
                if let session = event.session { sessions[session, default: SessionMilestones()].restore(event.type) }
            case .file, .rotated, .truncated, .backupCompleted, .backupSkipped:
                break // watched files and backups keep their own positions (`FileFollowers`)
            }
        }
        if let last = history.last { announcedUntil = last.time }
    }

    func isTracked(_ id: JobID) -> Bool { jobs[id] != nil }

    /// Where the next output event of `stream` starts; nil for a job not followed.
    func outputOffset(_ id: JobID, _ stream: JobStream) -> Int64? { jobs[id].map { $0.offsets[stream] ?? 0 } }

    // MARK: jobs

    /// A request appeared in a queue folder (or a session's queue).
    mutating func queued(_ id: JobID, priority: Priority, session: SessionID? = nil) -> [SpoolEvent] {
        if var tracked = jobs[id] {
            // Seen before: only a move to the other queue (promote) is news.
            guard tracked.priority != priority, !tracked.running else { return [] }
            tracked.priority = priority
            jobs[id] = tracked
            var event = SpoolEvent(type: .position, job: id, session: session)
            event.priority = priority
            event.position = tracked.position
            return [event]
        }
        jobs[id] = Tracked(priority: priority, session: session)
        var event = SpoolEvent(type: .queued, time: id.createdAt, job: id, session: session)
        event.priority = priority
        return [event]
    }

    /// A request was claimed. `status` (if readable) says how it waited when it was never
    /// seen queued. The `started` event, if any, is last.
    mutating func started(_ id: JobID, worker: WorkerName?, status: JobStatus?) -> [SpoolEvent] {
        var events = jobs[id] == nil ? queued(id, priority: status?.priority ?? .sync, session: status?.session) : []
        guard var tracked = jobs[id], !tracked.running else { return events }
        tracked.running = true
        tracked.position = nil
        jobs[id] = tracked
        var event = SpoolEvent(type: .started, job: id, worker: worker, session: tracked.session)
        event.priority = tracked.priority
        events.append(event)
        return events
    }

    /// Output written since the last announcement, in byte ranges up to `ends` (each
    /// stream's size, less a trailing incomplete UTF-8 character while the job runs).
    mutating func output(_ id: JobID, ends: [JobStream: Int64]) -> [SpoolEvent] {
        guard var tracked = jobs[id] else { return [] }
        var events: [SpoolEvent] = []
        for stream in JobStream.allCases {
            var offset = tracked.offsets[stream] ?? 0
            let end = ends[stream] ?? offset
            while offset < end {
                let length = min(end - offset, Self.maxOutputEvent)
                var event = SpoolEvent(type: .output, job: id, session: tracked.session)
                event.stream = stream
                event.offset = offset
                event.length = length
                events.append(event)
                offset += length
            }
            tracked.offsets[stream] = offset
        }
        jobs[id] = tracked
        return events
    }

    /// A final status arrived in done/. Output up to `ends` comes first; a job never seen
    /// before is announced whole once, if it finished after the journal's last event.
    mutating func finished(_ id: JobID, status: JobStatus, ends: [JobStream: Int64]) -> [SpoolEvent] {
        guard status.state.isFinal else { return [] }
        var events: [SpoolEvent] = []
        if jobs[id] == nil {
            guard status.finishedAt.map({ $0 > announcedUntil }) ?? true, !finishedSinceSet.contains(id) else { return [] }
            jobs[id] = Tracked(priority: status.priority, session: status.session)
            if let startedAt = status.startedAt {
                var event = SpoolEvent(type: .started, time: startedAt, job: id, worker: status.worker, session: status.session)
                event.priority = status.priority
                events.append(event)
            }
        }
        events += output(id, ends: ends)
        jobs[id] = nil
        remember(id)
        var event = SpoolEvent(type: status.state == .cancelled ? .cancelled : .finished, job: id, worker: status.worker, session: status.session)
        event.state = status.state
        event.exitCode = status.exitCode
        event.signal = status.signal
        event.priority = status.priority
        events.append(event)
        return events
    }

    private mutating func remember(_ id: JobID) {
        finishedSince.append(id)
        finishedSinceSet.insert(id)
        if finishedSince.count > Self.finishedMemory {
            finishedSinceSet.remove(finishedSince.removeFirst())
        }
    }

    /// Everything finished before `time` has been announced (a comparison with the spool ended).
    mutating func caughtUp(at time: Timestamp) {
        announcedUntil = time
        finishedSince.removeAll()
        finishedSinceSet.removeAll()
    }

    /// A job that left without a trace (retention): nothing more to announce.
    mutating func forget(_ id: JobID) {
        jobs[id] = nil
    }

    /// Positions in serving order (`sorted` as `QueueOrder.sorted` returns it).
    mutating func positions(_ sorted: [QueueEntry]) -> [SpoolEvent] {
        var events: [SpoolEvent] = []
        for (index, entry) in sorted.enumerated() {
            let position = index + 1
            guard var tracked = jobs[entry.id], !tracked.running, tracked.position != position else { continue }
            tracked.position = position
            jobs[entry.id] = tracked
            var event = SpoolEvent(type: .position, job: entry.id, session: tracked.session)
            event.position = position
            event.priority = entry.priority
            events.append(event)
        }
        return events
    }

    // MARK: workers

    mutating func worker(_ worker: WorkerName, up: Bool) -> [SpoolEvent] {
        if up == workers.contains(worker) { return [] }
        if up { workers.insert(worker) } else { workers.remove(worker) }
        return [SpoolEvent(type: up ? .workerUp : .workerDown, worker: worker)]
    }

    /// The worker hosts a sending relay reports live now (in its `workers/<name>.json`).
    mutating func hostsAlive(_ alive: Set<String>) -> [SpoolEvent] {
        let up = alive.subtracting(hosts).sorted(), down = hosts.subtracting(alive).sorted()
        hosts = alive
        func event(_ type: SpoolEventType, _ host: String) -> SpoolEvent {
            var event = SpoolEvent(type: type)
            event.host = host
            return event
        }
        return up.map { event(.hostUp, $0) } + down.map { event(.hostDown, $0) }
    }

    /// The full set of live workers, after a comparison with the spool.
    mutating func workersAlive(_ alive: Set<WorkerName>) -> [SpoolEvent] {
        let up = alive.subtracting(workers).sorted { $0.rawValue < $1.rawValue }
        let down = workers.subtracting(alive).sorted { $0.rawValue < $1.rawValue }
        workers = alive
        return up.map { SpoolEvent(type: .workerUp, worker: $0) } + down.map { SpoolEvent(type: .workerDown, worker: $0) }
    }

    // MARK: sessions

    func followsSession(_ id: SessionID) -> Bool { sessions[id] != nil }

    /// A session's record changed. A closed session is no longer followed.
    mutating func session(_ id: SessionID, record: SessionRecord) -> [SpoolEvent] {
        var milestones = sessions[id] ?? SessionMilestones()
        let events = milestones.observe(record).map { milestone -> SpoolEvent in
            switch milestone {
            case .ready(let worker, let at): SpoolEvent(type: .sessionReady, time: at, worker: worker, session: id)
            case .abandoned(let worker, let at, _): SpoolEvent(type: .sessionAbandoned, time: at, worker: worker, session: id)
            }
        }
        sessions[id] = record.state == .closed ? nil : milestones
        return events
    }
}
