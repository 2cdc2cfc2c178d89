import Foundation
import Logging
import Spool

/// Turns spool file changes into journal events (`events/journal`), the log `/events`
/// serves. One spool-mcp per spool records (it holds `events/journal.lock`); others retry
/// every few seconds, so recording moves on when the recorder exits.
///
/// What to announce is `EventLedger`'s decision; this actor does the I/O around it: it
/// watches the folders, reads the files a change concerns, feeds the ledger and appends
/// what it returns. On start the ledger is restored from the journal, then compared with
/// the spool (`reconcile`), so changes made while no one recorded are announced too.
actor EventRecorder {
    let layout: SpoolLayout
    let watcher: SpoolWatcher
    let order: QueueOrder
    let metrics: SpoolMetrics
    let logger: Logger
    private var journal: EventJournalWriter?
    var ledger = EventLedger()
    private var positionsPending = false
    private var recordingWaiters: [AsyncStream<Void>.Continuation] = []

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
                    for waiter in recordingWaiters { waiter.yield() }
                    recordingWaiters.removeAll()
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
            for directory in [layout.active, layout.jobs, layout.sessions] {
                try await watcher.watch(directory, mask: WatchMask.creations)
            }
        } catch {
            logger.error("cannot watch the spool for events: \(error)")
            return
        }
        ledger.restore(EventJournal.readAll(layout))
        await reconcile()
        for await event in events {
            if Task.isCancelled { break }
            await handle(event)
        }
    }

    /// Returns once this process writes the journal (others' events would go nowhere), or
    /// when the task is cancelled (shutdown while another process records).
    func untilRecording() async {
        let (recording, started) = AsyncStream<Void>.makeStream()
        if journal != nil { return }
        recordingWaiters.append(started)
        for await _ in recording { return } // ends with a value, or with nil on cancellation
    }

    func emit(_ events: [SpoolEvent]) {
        guard let journal, !events.isEmpty else { return }
        do {
            try journal.append(events)
        } catch {
            logger.error("cannot append to the event journal: \(error)")
        }
    }

    // MARK: - File changes

    private func handle(_ event: WatchEvent) async {
        if event.isOverflow { return await reconcile() }
        switch layout.classify(event.directory + "/" + event.name) {
        case .queued(let id, let priority) where event.isArrival:
            emit(ledger.queued(id, priority: priority))
            schedulePositions()
        case .queued: // a departure (claim, cancel, promote); foreign names do not move positions
            schedulePositions() // a departure
        case .workerFolder(let worker) where event.isCreation:
            await watchActive(worker)
        case .claimed(let id, let worker) where event.isArrival:
            await started(id, worker: worker)
        case .done(let id) where event.isArrival:
            await finished(id)
        case .workerRecord(let worker) where event.isArrival || event.isDeparture:
            emit(ledger.worker(worker, up: event.isArrival))
            // A sending relay's heartbeat carries the worker hosts it sees.
            if event.isArrival, let hosts = (try? SpoolJSON.load(WorkerRecord.self, from: layout.workerRecord(worker)))??.hosts {
                emit(ledger.hostsAlive(Set(hosts.filter(\.live).map(\.name))))
            }
        case .jobFolder(let id) where event.isCreation && ledger.isTracked(id):
            await follow(layout.job(id), mask: WatchMask.changes)
            output(id, final: false)
        case .jobFile(let id, _) where event.isModification:
            output(id, final: false)
        case .sessionFolder(let id) where event.isCreation:
            await watchSession(id)
        case .sessionFile(let id, SessionFile.record.rawValue) where event.isArrival:
            await sessionRecordChanged(id)
        case .sessionQueued(let job, let session) where event.isArrival:
            emit(ledger.queued(job, priority: .sync, session: session))
        case .sessionRunning(let job, let session) where event.isArrival:
            await started(job, worker: try? SessionStore(layout: layout).record(session)?.worker) // the worker name is a detail of the event
        default:
            break
        }
    }

    func watchActive(_ worker: WorkerName) async {
        await follow(layout.active(worker: worker), mask: WatchMask.arrivals)
        // Claims made before the watch was in place.
        for name in FileSystem.list(layout.active(worker: worker)) {
            if let id = JobID(fileName: name) { await started(id, worker: worker) }
        }
    }

    func started(_ id: JobID, worker: WorkerName?) async {
        // A request that opens a session is announced by session_ready instead.
        if SessionStore(layout: layout).record(ifSession: id) != nil { return }
        let status = ledger.isTracked(id) ? nil : try? JobRecords(layout: layout).status(id) // unreadable: announced from the request alone
        let events = ledger.started(id, worker: worker, status: status)
        emit(events)
        guard events.last?.type == .started, let priority = events.last?.priority else { return }
        metrics.claimed(waited: max(0, Double(Timestamp.now.nanoseconds - id.createdAt.nanoseconds) / 1e9), priority: priority)
        // Positions: the claim's departure from the queue folder already scheduled them.
        await follow(layout.job(id), mask: WatchMask.changes)
        output(id, final: false)
    }

    func finished(_ id: JobID) async {
        if SessionStore(layout: layout).record(ifSession: id) != nil { return }
        guard let status = try? JobRecords(layout: layout).status(id), status.state.isFinal else { return } // not final or unreadable yet: its next change brings it back
        let sizes = Dictionary(uniqueKeysWithValues: JobStream.allCases.map { ($0, JobRecords(layout: layout).outputSize(id, $0)) })
        emit(ledger.finished(id, status: status, ends: sizes))
        if let started = status.startedAt, let ended = status.finishedAt {
            metrics.finished(seconds: Double(ended.nanoseconds - started.nanoseconds) / 1e9, state: status.state)
        }
        // An end changes no queue position (a dequeue's departure from the queue schedules its own).
        await watcher.unwatch(layout.job(id))
    }

    /// Announces output written since the last announcement. While the job runs, a
    /// trailing incomplete UTF-8 character waits for its last bytes, so text events do
    /// not split characters.
    func output(_ id: JobID, final: Bool) {
        var ends: [JobStream: Int64] = [:]
        for stream in JobStream.allCases {
            guard let offset = ledger.outputOffset(id, stream) else { return }
            let size = JobRecords(layout: layout).outputSize(id, stream)
            var end = size
            if !final && offset < size {
                let tail = (try? FileSystem.read(layout.job(id, stream.file), offset: max(offset, size - 4), limit: 4)) ?? nil // only to hold back a split UTF-8 tail; unreadable: none held
                end -= Int64(UTF8Boundary.incompleteSuffix(tail ?? []))
            }
            ends[stream] = end
        }
        emit(ledger.output(id, ends: ends))
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

    func updatePositions() {
        positionsPending = false
        emit(ledger.positions(order.sorted(SpoolQueue(layout: layout, order: order).entries())))
    }

    /// Places a watch; a failure (usually inotify's watch limit) is logged, and what it
    /// would have announced is caught up at the next reconcile.
    func follow(_ directory: String, mask: UInt32) async {
        do { try await watcher.watch(directory, mask: mask) } catch {
            logger.warning("events: cannot watch \(directory): \(error); its changes are announced late")
        }
    }
}
