import Foundation
import Logging
import Spool

/// Turns spool file changes into journal events (`events/journal`), the log `/events`
/// serves. One spool-mcp per spool records (it holds `events/journal.lock`); others retry
/// every few seconds, so recording moves on when the recorder exits.
///
/// State survives restarts through the journal itself: on start the recorder replays it
/// to learn what it already announced (jobs not yet finished, output offsets, workers,
/// sessions), then compares that with the spool and records what changed meanwhile.
actor EventRecorder {
    private let layout: SpoolLayout
    private let watcher: SpoolWatcher
    private let order: QueueOrder
    private let metrics: SpoolMetrics
    private let logger: Logger
    private var journal: EventJournalWriter?

    private struct Tracked {
        var priority: Priority
        var session: JobID?
        var running = false
        var position: Int?
        var offsets: [JobStream: Int64] = [.stdout: 0, .stderr: 0]
    }

    private struct SessionSeen {
        var ready = false
        var abandoned = false
    }

    private var jobs: [JobID: Tracked] = [:]
    private var workers: Set<WorkerName> = []
    private var sessions: [JobID: SessionSeen] = [:]
    private var positionsPending = false
    /// Events of finished jobs newer than this are announced when found in done/ unseen.
    private var announcedUntil = Timestamp.now
    /// Larger output is split into several events, so one event stays a readable size.
    static let maxOutputEvent: Int64 = 16 << 10

    init(layout: SpoolLayout, watcher: SpoolWatcher, order: QueueOrder, metrics: SpoolMetrics, logger: Logger) {
        self.layout = layout
        self.watcher = watcher
        self.order = order
        self.metrics = metrics
        self.logger = logger
    }

    /// Records until cancelled; waits for the journal lock while another process has it.
    func run() async {
        while !Task.isCancelled {
            do {
                if let writer = try EventJournalWriter.open(layout) {
                    journal = writer
                    await record()
                    return
                }
            } catch {
                logger.error("event journal unavailable: \(error)")
            }
            await Pause.for(.seconds(2))
        }
    }

    private func record() async {
        let events = watcher.events()
        do {
            for directory in [layout.queue(.sync), layout.queue(.async), layout.workers] {
                try await watcher.watch(directory, mask: WatchMask.arrivals | WatchMask.departures)
            }
            try await watcher.watch(layout.done, mask: WatchMask.arrivals)
            try await watcher.watch(layout.active, mask: WatchMask.creations)
            try await watcher.watch(layout.jobs, mask: WatchMask.creations)
            try await watcher.watch(layout.sessions, mask: WatchMask.creations)
        } catch {
            logger.error("cannot watch the spool for events: \(error)")
            return
        }
        restore()
        await reconcile()
        for await event in events {
            if Task.isCancelled { break }
            await handle(event)
        }
    }

    // MARK: - Journal

    private func emit(_ events: [SpoolEvent]) {
        guard let journal, !events.isEmpty else { return }
        do {
            try journal.append(events)
        } catch {
            logger.error("cannot append to the event journal: \(error)")
        }
    }

    /// What earlier runs announced, from the journal.
    private func restore() {
        let history = EventJournal.readAll(layout)
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
            case .sessionReady:
                if let session = event.session { sessions[session, default: SessionSeen()].ready = true }
            case .sessionAbandoned:
                if let session = event.session { sessions[session, default: SessionSeen()].abandoned = true }
            }
        }
        if let last = history.last { announcedUntil = last.time }
    }

    // MARK: - File changes

    private func handle(_ event: WatchEvent) async {
        if event.isOverflow {
            await reconcile()
            return
        }
        let directory = event.directory
        if directory == layout.queue(.sync) || directory == layout.queue(.async) {
            if event.isArrival, let id = JobID(fileName: event.name) {
                queued(id, priority: directory == layout.queue(.sync) ? .sync : .async)
            }
            schedulePositions()
        } else if directory == layout.active {
            if event.isCreation, let worker = WorkerName(event.name) { await watchActive(worker) }
        } else if directory.hasPrefix(layout.active + "/") {
            if event.isArrival, let id = JobID(fileName: event.name), let worker = WorkerName(String(directory.dropFirst(layout.active.count + 1))) {
                await started(id, worker: worker)
            }
        } else if directory == layout.done {
            if event.isArrival, let id = JobID(fileName: event.name) { await finished(id) }
        } else if directory == layout.workers {
            if event.name.hasSuffix(".json"), let worker = WorkerName(String(event.name.dropLast(5))) {
                if event.isArrival, !workers.contains(worker) {
                    workers.insert(worker)
                    emit([SpoolEvent(type: .workerUp, worker: worker)])
                } else if event.isDeparture, workers.contains(worker) {
                    workers.remove(worker)
                    emit([SpoolEvent(type: .workerDown, worker: worker)])
                }
            }
        } else if directory == layout.jobs {
            if event.isCreation, let id = JobID(event.name), jobs[id] != nil {
                await follow(layout.job(id), mask: WatchMask.changes)
                output(id, final: false)
            }
        } else if directory.hasPrefix(layout.jobs + "/") {
            if event.isModification, let id = JobID(String(directory.dropFirst(layout.jobs.count + 1))) {
                output(id, final: false)
            }
        } else if directory == layout.sessions {
            if event.isCreation, let id = JobID(event.name) { await watchSession(id) }
        } else if directory.hasPrefix(layout.sessions + "/") {
            await sessionChanged(directory: directory, event: event)
        }
    }

    private func watchActive(_ worker: WorkerName) async {
        await follow(layout.active(worker: worker), mask: WatchMask.arrivals)
        // Claims made before the watch was in place.
        for name in FileSystem.list(layout.active(worker: worker)) {
            if let id = JobID(fileName: name) { await started(id, worker: worker) }
        }
    }

    private func queued(_ id: JobID, priority: Priority, session: JobID? = nil) {
        if var tracked = jobs[id] {
            guard tracked.priority != priority, !tracked.running else { return }
            tracked.priority = priority
            jobs[id] = tracked
            var event = SpoolEvent(type: .position, job: id, session: session)
            event.priority = priority
            event.position = tracked.position
            emit([event])
            return
        }
        jobs[id] = Tracked(priority: priority, session: session)
        var event = SpoolEvent(type: .queued, time: id.createdAt, job: id, session: session)
        event.priority = priority
        emit([event])
    }

    private func started(_ id: JobID, worker: WorkerName?) async {
        // A request that opens a session is announced by session_ready instead.
        if SessionStore(layout: layout).record(ifSession: id) != nil { return }
        if jobs[id] == nil {
            let status = try? JobRecords(layout: layout).status(id) // unreadable: announced from the request alone
            queued(id, priority: status?.priority ?? .sync, session: status?.session)
        }
        guard var tracked = jobs[id], !tracked.running else { return }
        tracked.running = true
        tracked.position = nil
        jobs[id] = tracked
        var event = SpoolEvent(type: .started, job: id, worker: worker, session: tracked.session)
        event.priority = tracked.priority
        emit([event])
        metrics.claimed(waited: max(0, Double(Timestamp.now.nanoseconds - id.createdAt.nanoseconds) / 1e9), priority: tracked.priority)
        schedulePositions()
        await follow(layout.job(id), mask: WatchMask.changes)
        output(id, final: false)
    }

    private func finished(_ id: JobID) async {
        if SessionStore(layout: layout).record(ifSession: id) != nil { return }
        guard let status = try? JobRecords(layout: layout).status(id), status.state.isFinal else { return } // not final or unreadable yet: its next change brings it back
        if jobs[id] == nil {
            // Seen for the first time: finished while no one recorded, or never queued
            // through a watched folder. Announce its whole life once.
            guard status.finishedAt.map({ $0 > announcedUntil }) ?? true else { return }
            jobs[id] = Tracked(priority: status.priority, session: status.session)
            if status.startedAt != nil {
                var event = SpoolEvent(type: .started, time: status.startedAt ?? .now, job: id, worker: status.worker, session: status.session)
                event.priority = status.priority
                emit([event])
            }
        }
        output(id, final: true)
        jobs[id] = nil
        var event = SpoolEvent(type: status.state == .cancelled ? .cancelled : .finished, job: id, worker: status.worker, session: status.session)
        event.state = status.state
        event.exitCode = status.exitCode
        event.signal = status.signal
        event.priority = status.priority
        emit([event])
        if let started = status.startedAt, let ended = status.finishedAt {
            metrics.finished(seconds: Double(ended.nanoseconds - started.nanoseconds) / 1e9, state: status.state)
        }
        schedulePositions()
        await watcher.unwatch(layout.job(id))
    }

    /// Announces output written since the last announcement, in byte ranges. While the
    /// job runs, a trailing incomplete UTF-8 character waits for its last bytes, so text
    /// events do not split characters.
    private func output(_ id: JobID, final: Bool) {
        guard var tracked = jobs[id] else { return }
        let records = JobRecords(layout: layout)
        var events: [SpoolEvent] = []
        for stream in JobStream.allCases {
            let size = records.outputSize(id, stream)
            var offset = tracked.offsets[stream] ?? 0
            while offset < size {
                var length = min(size - offset, Self.maxOutputEvent)
                if !final && offset + length == size {
                    let tail = (try? FileSystem.read(layout.job(id, stream.file), offset: max(offset, size - 4), limit: 4)) ?? nil // only to hold back a split UTF-8 tail; unreadable: none held
                    length -= Int64(UTF8Boundary.incompleteSuffix(tail ?? []))
                    if length <= 0 { break }
                }
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
        emit(events)
    }

    // MARK: - Positions

    /// Queue changes come in bursts (a thousand submissions); positions are computed once
    /// per burst, a few milliseconds after its first change.
    private func schedulePositions() {
        guard !positionsPending else { return }
        positionsPending = true
        Task {
            await Pause.for(.milliseconds(5))
            self.updatePositions()
        }
    }

    private func updatePositions() {
        positionsPending = false
        // `sorted` is the serving order, so index + 1 is what `QueueOrder.position` (and so
        // `status`) reports for each entry, computed here in one pass.
        let entries = order.sorted(SpoolQueue(layout: layout, order: order).entries())
        var events: [SpoolEvent] = []
        for (index, entry) in entries.enumerated() {
            let position = index + 1
            guard var tracked = jobs[entry.id], !tracked.running, tracked.position != position else { continue }
            tracked.position = position
            jobs[entry.id] = tracked
            var event = SpoolEvent(type: .position, job: entry.id, session: tracked.session)
            event.position = position
            event.priority = entry.priority
            events.append(event)
        }
        emit(events)
    }

    // MARK: - Sessions

    private func watchSession(_ id: JobID) async {
        await follow(layout.session(id), mask: WatchMask.arrivals)
        await follow(layout.sessionQueue(id), mask: WatchMask.arrivals)
        await follow(layout.sessionRunning(id), mask: WatchMask.arrivals)
        await scanSession(id)
    }

    private func scanSession(_ id: JobID) async {
        for job in SessionStore(layout: layout).queued(id) where jobs[job] == nil {
            queued(job, priority: .sync, session: id)
        }
        for job in SessionStore(layout: layout).running(id) {
            await started(job, worker: nil)
        }
        await sessionRecordChanged(id)
    }

    private func sessionChanged(directory: String, event: WatchEvent) async {
        let rest = directory.dropFirst(layout.sessions.count + 1)
        let parts = rest.split(separator: "/")
        guard let first = parts.first, let session = JobID(String(first)), event.isArrival else { return }
        if parts.count == 1 {
            if event.name == SessionFile.record.rawValue { await sessionRecordChanged(session) }
        } else if parts[1] == "queue", let job = JobID(fileName: event.name) {
            queued(job, priority: .sync, session: session)
        } else if parts[1] == "running", let job = JobID(fileName: event.name) {
            await started(job, worker: try? SessionStore(layout: layout).record(session)?.worker) // the worker name is a detail of the event
        }
    }

    private func sessionRecordChanged(_ id: JobID) async {
        guard let record = try? SessionStore(layout: layout).record(id) else { return } // being rewritten: its arrival brings it back
        var seen = sessions[id] ?? SessionSeen()
        var events: [SpoolEvent] = []
        if record.state != .queued && !seen.ready {
            seen.ready = true
            events.append(SpoolEvent(type: .sessionReady, time: record.readyAt ?? .now, worker: record.worker, session: id))
        }
        if record.abandonedAt != nil && !seen.abandoned {
            events.append(SpoolEvent(type: .sessionAbandoned, time: record.abandonedAt ?? .now, worker: record.worker, session: id))
        }
        seen.abandoned = record.abandonedAt != nil
        emit(events)
        if record.state == .closed {
            sessions[id] = nil
            await watcher.unwatch(layout.sessionQueue(id))
            await watcher.unwatch(layout.sessionRunning(id))
            await watcher.unwatch(layout.session(id))
        } else {
            sessions[id] = seen
        }
    }

    // MARK: - Full comparison

    /// Compares the spool with what was announced and records the difference: at start
    /// (changes while no one recorded) and after an inotify overflow.
    /// Places a watch; a failure (usually inotify's watch limit) is logged, and what it
    /// would have announced is caught up at the next reconcile.
    private func follow(_ directory: String, mask: UInt32) async {
        do { try await watcher.watch(directory, mask: mask) } catch {
            logger.warning("events: cannot watch \(directory): \(error); its changes are announced late")
        }
    }

    private func reconcile() async {
        for entry in SpoolQueue(layout: layout, order: order).entries() {
            queued(entry.id, priority: entry.priority)
        }
        var running: Set<JobID> = []
        for name in FileSystem.list(layout.active) {
            guard let worker = WorkerName(name) else { continue }
            await follow(layout.active(worker: worker), mask: WatchMask.arrivals)
            for file in FileSystem.list(layout.active(worker: worker)) {
                guard let id = JobID(fileName: file) else { continue }
                running.insert(id)
                await started(id, worker: worker)
            }
        }
        for session in SessionStore(layout: layout).all() {
            guard let record = try? SessionStore(layout: layout).record(session) else { continue } // being rewritten: its arrival brings it back
            if record.state == .closed {
                if sessions[session] != nil { await sessionRecordChanged(session) }
                continue
            }
            await watchSession(session)
            running.formUnion(SessionStore(layout: layout).running(session))
        }
        // Known jobs that moved on while no one looked.
        for id in jobs.keys.sorted() where !running.contains(id) {
            if FileSystem.exists(layout.done(id)) { await finished(id) }
            else if SpoolQueue(layout: layout, order: order).find(id) == nil && SessionStore(layout: layout).find(id) == nil {
                jobs[id] = nil // removed (retention) without a trace: nothing left to announce
            }
        }
        // Jobs that came and went entirely while no one recorded.
        for name in FileSystem.list(layout.done).sorted() {
            guard let id = JobID(fileName: name), jobs[id] == nil,
                  (FileSystem.age(layout.done(id)) ?? 0) <= Timestamp.now.seconds(since: announcedUntil) + 1 else { continue }
            await finished(id)
        }
        for id in running { output(id, final: false) }
        let recovery = Recovery(layout: layout)
        let alive = Set(FileSystem.list(layout.workers).compactMap { name -> WorkerName? in
            guard name.hasSuffix(".json"), let worker = WorkerName(String(name.dropLast(5))), recovery.isAlive(worker) else { return nil }
            return worker
        })
        for worker in alive.subtracting(workers).sorted(by: { $0.rawValue < $1.rawValue }) { emit([SpoolEvent(type: .workerUp, worker: worker)]) }
        for worker in workers.subtracting(alive).sorted(by: { $0.rawValue < $1.rawValue }) { emit([SpoolEvent(type: .workerDown, worker: worker)]) }
        workers = alive
        announcedUntil = .now
        updatePositions()
    }
}

/// Where a byte range may end without cutting a UTF-8 character in two.
enum UTF8Boundary {
    /// How many bytes at the end of `tail` begin a character whose remaining bytes have not
    /// been written yet (0 when the text ends on a boundary).
    static func incompleteSuffix(_ tail: [UInt8]) -> Int {
        for back in 1...min(3, tail.count) where tail.count >= back {
            let byte = tail[tail.count - back]
            if byte & 0xC0 == 0x80 { continue } // continuation byte: look further back
            let needed = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            return needed > back ? back : 0
        }
        return 0
    }
}
