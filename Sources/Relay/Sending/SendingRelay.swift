import Foundation
import Logging
import Spool

/// The sending relay: one more worker to the origin host's spool. It claims requests by
/// rename into `active/<name>/`, hands them to PostgreSQL, and mirrors each remote job
/// back into the local files (output at its offsets, `status.json`, finally the rename
/// into `done/`), so every tool and event works unchanged on this host. What `send_input`
/// writes goes on as rows. Sessions stay for the local workers.
actor SendingRelay {
    let layout: SpoolLayout
    let name: WorkerName
    /// This host's name in PostgreSQL (`spool_job.origin`).
    let origin: String
    let database: RelayDatabase
    let settings: RelaySettings
    let logger: Logger
    let wake = WakeSet()
    /// Rows that arrived with their notifications (the newest per job).
    let notified = NotifiedRows()

    private var mirrors: [JobID: Mirror] = [:]
    /// The rows of jobs whose first claim is shown later (`Mirror.showDue`).
    private var showLater: [JobID: RemoteJob] = [:]
    /// Claimed here but not yet in PostgreSQL (it was unreachable): handed over again.
    private var unsent: Set<JobID> = []
    /// Waiting requests this relay leaves to local workers (sessions, piped stdin).
    private var leftLocal: Set<JobID> = []
    /// The input FIFOs of relayed jobs started with `stdin: "pipe"`.
    private var inputs: [JobID: InputFIFO] = [:]
    private var records: JobRecords { JobRecords(layout: layout) }
    private var transitions: JobTransitions { JobTransitions(layout: layout) }

    init(layout: SpoolLayout, name: WorkerName, origin: String, database: RelayDatabase, settings: RelaySettings, logger: Logger) {
        self.layout = layout
        self.name = name
        self.origin = origin
        self.database = database
        self.settings = settings
        self.logger = logger
    }

    func run(watcher: SpoolWatcher) async throws {
        let registration = try WorkerRegistration(layout: layout, name: name, slots: 0)
        defer { registration.unregister() }
        let events = watcher.events()
        for priority in Priority.allCases { try await watcher.watch(layout.queue(priority), mask: WatchMask.arrivals) }
        try await adoptOwnFolder(watcher: watcher)
        let wake = wake, jobs = layout.jobs, queues = Set(Priority.allCases.map { layout.queue($0) })
        let fileEvents = Task {
            for await event in events {
                if event.isOverflow { wake.addAll() } else if queues.contains(event.directory) {
                    wake.add(.queue)
                } else if (event.directory as NSString).deletingLastPathComponent == jobs,
                          let id = JobID((event.directory as NSString).lastPathComponent) {
                    if event.name == JobFile.cancel.rawValue { wake.add(.cancel(id)) }
                    if event.name == JobFile.stdinEOF.rawValue { wake.add(.endOfInput(id)) }
                }
            }
        }
        defer { fileEvents.cancel() }
        // For people reading workers/ (and the dashboard): once a second is plenty, and it is
        // a file write. It carries the worker hosts as PostgreSQL has them; when the query
        // fails, the last view is kept with the time it was read. A task of its own, so a
        // slow database never holds up the hand-over.
        let database = database, logger = logger
        let heartbeat = Task {
            var hosts: (list: [RemoteHost], at: Timestamp)?
            while !Task.isCancelled {
                do { hosts = (try await database.hosts(), .now) } catch { logger.debug("listing worker hosts: \(error)") }
                try? registration.heartbeat(hosts: hosts)
                await Pause.for(.seconds(1))
            }
        }
        defer { heartbeat.cancel() }
        logger.info("sending relay \(name) for host \(origin) ready on \(layout.root)")
        wake.add(.queue)
        var lastSweep = ContinuousClock.now
        while !Task.isCancelled {
            let due = showLater.keys.compactMap { mirrors[$0]?.showDue }.min()
            let poll = Duration.milliseconds(Int64(settings.poll * 1000))
            let batch = await wake.next(timeout: due.map { min(poll, max(.milliseconds(1), $0 - .now)) } ?? poll)
            // Claims whose time to be shown came.
            let now = ContinuousClock.now
            for (id, row) in showLater where mirrors[id]?.showDue.map({ now >= $0 }) == true {
                if let mirror = mirrors[id] {
                    do { try await apply(row, to: mirror, watcher: watcher) } catch { logger.warning("cannot mirror \(id): \(error); retrying") }
                }
            }
            if batch.all || batch.isEmpty || batch.keys.contains(.queue) { await handOver(watcher: watcher) }
            var refresh: Set<JobID> = []
            for key in batch.keys {
                switch key {
                case .cancel(let id): await forwardCancel(id)
                case .endOfInput(let id): inputs[id]?.close(eof: true)
                case .job(let id) where mirrors[id] != nil: refresh.insert(id) // a spool_job notification of this origin
                case .job, .queue, .control, .announced: break
                }
            }
            if batch.all || batch.isEmpty {
                refresh = Set(mirrors.keys)
                notified.clear()
            }
            if !refresh.isEmpty { await self.refresh(Array(refresh), watcher: watcher) }
            if ContinuousClock.now - lastSweep > .milliseconds(Int64(settings.lease * 500)) {
                lastSweep = .now
                do {
                    if try await database.expireLeases() > 0 { refresh = Set(mirrors.keys) }
                    if settings.retain > 0 { try await database.trim(origin: origin, olderThan: settings.retain) }
                } catch {
                    logger.warning("lease sweep: \(error)")
                }
            }
        }
        // Its last write lands before the record is removed (the deferred unregister).
        heartbeat.cancel()
        await heartbeat.value
    }

    // MARK: handing over

    /// Requests left in this relay's folder by its previous life: a remote one is
    /// followed again (its insert repeated: it is idempotent), any other handed over.
    private func adoptOwnFolder(watcher: SpoolWatcher) async throws {
        for file in FileSystem.list(layout.active(worker: name)) {
            guard let id = JobID(fileName: file) else { continue }
            if let status = try? records.status(id), status.remote == true {
                if let request = try? JobRequest.load(path: layout.active(id, worker: name), defaults: RequestDefaults(job: id, priority: .async)),
                   request.stdinIsPipe, !FileSystem.exists(layout.job(id, .stdinEOF)) {
                    openInput(id)
                }
                var mirror = Mirror(token: status.attempt, shown: status.state == .running ? .running : .queued, host: status.host)
                mirror.stdoutBytes = records.outputSize(id, .stdout)
                mirror.stderrBytes = records.outputSize(id, .stderr)
                mirrors[id] = mirror
                unsent.insert(id)
                try? await watcher.watch(layout.job(id), mask: WatchMask.arrivals)
            } else {
                await handOff(id, priority: (try? records.status(id))?.priority ?? .async, watcher: watcher)
            }
        }
        if !mirrors.isEmpty { logger.info("following \(mirrors.count) relayed job(s) again") }
        await insertUnsent()
    }

    private func handOver(watcher: SpoolWatcher) async {
        await insertUnsent()
        let queue = SpoolQueue(layout: layout)
        for entry in QueueOrder().sorted(queue.entries()) where !leftLocal.contains(entry.id) {
            let path = layout.queued(entry.id, entry.priority)
            // Peek first: what only local workers can run is never claimed.
            if let request = try? JobRequest.load(path: path, defaults: RequestDefaults(job: entry.id, priority: entry.priority)),
               request.opensSession || request.session != nil {
                leftLocal.insert(entry.id)
                continue
            }
            guard (try? queue.claim(entry, worker: name)) == true else { continue }
            Trace.step("A claimed \(entry.id)")
            await handOff(entry.id, priority: entry.priority, watcher: watcher)
        }
        if leftLocal.count > 10_000 { leftLocal.removeAll() }
    }

    /// A request just claimed into this relay's folder: its status says remote, then it
    /// goes into PostgreSQL.
    /// - Parameter priority: the queue it came from, which a hand-written request without
    ///   a `priority` field takes (its status then keeps it for a later insert).
    private func handOff(_ id: JobID, priority: Priority, watcher: SpoolWatcher) async {
        let path = layout.active(id, worker: name)
        let request: JobRequest, bytes: [UInt8]
        do {
            guard let read = try FileSystem.read(path, limit: JobRequest.maxFileBytes) else { return }
            bytes = read
            request = try JobRequest.decode(bytes, path: path, defaults: RequestDefaults(job: id, priority: priority))
        } catch {
            transitions.quarantine(path, reason: "\(error)")
            return
        }
        do {
            try FileSystem.makeDirectory(layout.job(id))
            // As a worker does: `cat jobs/<id>/request.json` (and `screen`, which reads a
            // terminal's size there) work for a job run elsewhere too.
            _ = link(path, layout.job(id, .request)) // EEXIST after a restart: the same request
            var status = JobStatus(job: id, state: .queued, priority: request.priority, worker: name, createdAt: request.createdAt,
                                   reason: "waiting in PostgreSQL for a worker host")
            status.remote = true
            try records.writeStatus(status, durable: false)
        } catch {
            logger.error("cannot record \(id) as relayed: \(error); it goes back to its queue")
            _ = try? transitions.requeue(id, priority: request.priority, from: name)
            return
        }
        mirrors[id] = Mirror()
        if request.stdinIsPipe { openInput(id) }
        try? await watcher.watch(layout.job(id), mask: WatchMask.arrivals)
        do {
            Trace.step("A inserting \(id)")
            try await database.insert(request, bytes: bytes, origin: origin)
            Trace.step("A inserted \(id)")
        } catch {
            logger.warning("cannot hand \(id) to PostgreSQL yet: \(error); retrying")
            unsent.insert(id)
        }
    }

    private func insertUnsent() async {
        for id in unsent.sorted() {
            let path = layout.active(id, worker: name)
            do {
                guard let bytes = try FileSystem.read(path, limit: JobRequest.maxFileBytes) else { unsent.remove(id); continue }
                // The status written at the hand-off keeps the priority of the queue it came from.
                let priority = (try? records.status(id))?.priority ?? .async
                let request = try JobRequest.decode(bytes, path: path, defaults: RequestDefaults(job: id, priority: priority))
                try await database.insert(request, bytes: bytes, origin: origin)
                Trace.step("A inserted \(id)")
                unsent.remove(id)
            } catch {
                logger.warning("cannot hand \(id) to PostgreSQL yet: \(error); retrying")
                return
            }
        }
    }

    // MARK: input

    private enum InputEvent: Sendable {
        case data([UInt8])
        case end(eof: Bool)
    }

    /// `jobs/<id>/stdin` becomes a FIFO here; what `send_input` writes into it is sent on,
    /// in order, and its `eof` after the last byte.
    private func openInput(_ id: JobID) {
        guard inputs[id] == nil else { return }
        let fifo: InputFIFO
        do { fifo = try InputFIFO(path: layout.job(id, .stdin)) } catch {
            logger.error("job \(id) takes input, but its FIFO cannot be made here: \(error)")
            return
        }
        inputs[id] = fifo
        let (stream, continuation) = AsyncStream<InputEvent>.makeStream()
        fifo.start(deliver: { continuation.yield(.data($0)) },
                   finished: { continuation.yield(.end(eof: fifo.eofRequested)); continuation.finish() })
        let database = database, logger = logger
        Task {
            for await event in stream {
                let (data, eof): ([UInt8], Bool)
                switch event {
                case .data(let bytes): (data, eof) = (bytes, false)
                case .end(let requested): guard requested else { return }; (data, eof) = ([], true)
                }
                // In order, and never dropped: PostgreSQL being away only delays it.
                while true {
                    do { try await database.appendInput(id, data: data, eof: eof); break } catch {
                        logger.warning("cannot send input of \(id) yet: \(error); retrying")
                        await Pause.for(.milliseconds(500))
                    }
                }
            }
        }
    }

    // MARK: cancel

    private func forwardCancel(_ id: JobID) async {
        guard mirrors[id] != nil, records.isCancelRequested(id) else { return }
        do {
            let result = try await database.cancel(id)
            logger.info("cancel of relayed job \(id): \(result)")
        } catch {
            logger.warning("cannot pass on the cancel of \(id): \(error); retrying")
            wake.add(.cancel(id))
        }
    }

    // MARK: mirroring

    private func refresh(_ ids: [JobID], watcher: SpoolWatcher) async {
        var rows = notified.take(ids)
        let unknown = ids.filter { id in !rows.contains { $0.id == id } }
        Trace.step("A refreshing \(ids.count), \(unknown.count) from PostgreSQL")
        if !unknown.isEmpty {
            do { rows += try await database.jobs(unknown) } catch {
                logger.warning("cannot read relayed jobs: \(error)")
                return
            }
        }
        // A row that should be there and is not (a database restored from before the
        // insert, say): handed over again, so the job is not silently forgotten.
        let found = Set(rows.map(\.id))
        for id in unknown where mirrors[id] != nil && !found.contains(id) && !unsent.contains(id) {
            logger.warning("relayed job \(id) is missing from PostgreSQL; handing it over again")
            unsent.insert(id)
        }
        if !unsent.isEmpty { await insertUnsent() }
        for row in rows {
            guard let mirror = mirrors[row.id] else { continue }
            do {
                try await apply(row, to: mirror, watcher: watcher)
            } catch {
                logger.warning("cannot mirror \(row.id): \(error); retrying")
            }
        }
    }

    private func apply(_ row: RemoteJob, to start: Mirror, watcher: SpoolWatcher) async throws {
        var mirror = start
        let id = row.id
        defer { if mirrors[id] != nil { mirrors[id] = mirror } }
        for action in MirrorRule.actions(mirror, row) {
            switch action {
            case .startOver(let token):
                try OutputFiles.empty(id, layout: layout)
                mirror.token = token
                mirror.stdoutBytes = 0
                mirror.stderrBytes = 0
            case .fetch(let stream, _):
                while mirror.bytes(stream) < row.bytes(stream) {
                    let chunks = try await database.output(id, token: row.token, stream: stream, from: mirror.bytes(stream))
                    guard !chunks.isEmpty else { break }
                    for chunk in chunks {
                        let end = try OutputFiles.write(chunk, of: id, at: mirror.bytes(stream), layout: layout)
                        if stream == .stdout { mirror.stdoutBytes = end } else { mirror.stderrBytes = end }
                    }
                }
            case .show(let state, let host, let remoteStatus, let reason):
                var status = remoteStatus.map { MirrorRule.originRecord($0, host: host, token: row.token) }
                    ?? JobStatus(job: id, state: .queued, priority: (try? records.status(id))?.priority ?? .async, worker: name,
                                 createdAt: id.createdAt)
                status.remote = true
                status.host = host
                status.attempt = row.token
                status.state = state == .running ? .running : .queued
                status.reason = state == .claimed ? "claimed by host \(host ?? "?"); starting" : reason ?? status.reason
                if state == .queued { status.reason = reason ?? "waiting in PostgreSQL for a worker host" }
                try records.writeStatus(status, durable: false)
                mirror.shown = state
                mirror.host = host
                mirror.showDue = nil
                showLater[id] = nil
            case .showAt(let due):
                mirror.showDue = due
                showLater[id] = row
            case .finish(let final):
                guard mirror.stdoutBytes >= (final.stdoutBytes ?? 0), mirror.stderrBytes >= (final.stderrBytes ?? 0) else {
                    // Not all of its output is here yet: the next look finishes it.
                    wake.add(.job(id))
                    return
                }
                var record = MirrorRule.originRecord(final, host: row.host, token: row.token)
                record.stdoutBytes = mirror.stdoutBytes
                record.stderrBytes = mirror.stderrBytes
                Trace.step("A finishing \(id)")
                try records.writeStatus(record, durable: false)
                Trace.step("A wrote status \(id)")
                try transitions.fileFinished(id, from: .claimed(name), durable: false)
                Trace.step("A filed \(id)")
                forget(id, watcher: watcher)
            case .lose(let reason):
                try end(id, outcome: .lost(reason: reason), watcher: watcher)
            case .cancelBeforeStart:
                try end(id, outcome: .cancelled(code: nil, signal: nil, started: false), watcher: watcher)
            }
        }
    }

    private func end(_ id: JobID, outcome: JobOutcome, watcher: SpoolWatcher) throws(SpoolError) {
        let request = try? JobRequest.load(path: layout.active(id, worker: name), defaults: RequestDefaults(job: id, priority: .async))
        let origin = request.map(JobOrigin.init) ?? JobOrigin(job: id, priority: .async)
        let previous = try? records.status(id)
        try transitions.finish(id, from: .claimed(name), origin: origin, worker: previous?.worker ?? name,
                               ending: JobEnding(outcome: outcome, finishedAt: .now), previous: previous)
        forget(id, watcher: watcher)
    }

    private func forget(_ id: JobID, watcher: SpoolWatcher) {
        mirrors[id] = nil
        showLater[id] = nil
        inputs.removeValue(forKey: id)?.close(eof: false)
        unsent.remove(id)
        let directory = layout.job(id)
        Task { await watcher.unwatch(directory) }
    }
}
