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
        let wake = wake, jobs = layout.jobs, sessions = layout.sessions, queues = Set(Priority.allCases.map { layout.queue($0) })
        let fileEvents = Task {
            for await event in events {
                if event.isOverflow { wake.addAll() } else if queues.contains(event.directory) {
                    wake.add(.queue)
                } else if (event.directory as NSString).deletingLastPathComponent == jobs,
                          let id = JobID((event.directory as NSString).lastPathComponent) {
                    if event.name == JobFile.cancel.rawValue { wake.add(.cancel(id)) }
                    if event.name == JobFile.stdinEOF.rawValue { wake.add(.endOfInput(id)) }
                } else if (event.directory as NSString).deletingLastPathComponent == sessions,
                          let session = SessionID((event.directory as NSString).lastPathComponent) {
                    if event.name == SessionFile.end.rawValue { wake.add(.sessionEnd(session)) }
                } else if (event.directory as NSString).lastPathComponent == "queue",
                          ((event.directory as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent == sessions,
                          let session = SessionID(((event.directory as NSString).deletingLastPathComponent as NSString).lastPathComponent) {
                    wake.add(.sessionWork(session))
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
                case .sessionWork(let session): await handOverCommands(session, watcher: watcher)
                case .sessionEnd(let session): await forwardEnd(session)
                case .job, .queue, .control, .announced, .announcedCommand: break
                }
            }
            if batch.all || batch.isEmpty {
                refresh = Set(mirrors.keys)
                notified.clear()
                // Commands a failed hand-over put back, or whose file events were missed.
                for case let (_, mirror) in mirrors where mirror.opens {
                    if let session = mirror.session { await handOverCommands(session, watcher: watcher) }
                }
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
                var mirror = resumedMirror(id, status: status)
                if let session = SessionStore(layout: layout).record(ifSession: id)?.session {
                    // A session on another host: it, and the commands it was running, are followed again.
                    mirror.session = session
                    mirror.opens = true
                    mirror.shown = .queued // its record is brought in line by the next look
                    await followSession(session, watcher: watcher)
                    for job in SessionStore(layout: layout).running(session) {
                        guard let commandStatus = try? records.status(job), commandStatus.remote == true else { continue }
                        var command = resumedMirror(job, status: commandStatus)
                        command.session = session
                        await follow(job, command, watcher: watcher)
                    }
                }
                await follow(id, mirror, watcher: watcher)
            } else {
                await handOff(id, from: .claimed(name), priority: (try? records.status(id))?.priority ?? .async, watcher: watcher)
            }
        }
        if !mirrors.isEmpty { logger.info("following \(mirrors.count) relayed job(s) again") }
        await insertUnsent()
    }

    /// A relayed job this relay's earlier life followed, as its files show it now.
    private func resumedMirror(_ id: JobID, status: JobStatus) -> Mirror {
        var mirror = Mirror(token: status.attempt, shown: status.state == .running ? .running : .queued, host: status.host)
        mirror.stdoutBytes = records.outputSize(id, .stdout)
        mirror.stderrBytes = records.outputSize(id, .stderr)
        return mirror
    }

    /// Follows an adopted job again: its insert is repeated (idempotent) and its folder watched.
    private func follow(_ id: JobID, _ mirror: Mirror, watcher: SpoolWatcher) async {
        mirrors[id] = mirror
        unsent.insert(id)
        try? await watcher.watch(layout.job(id), mask: WatchMask.arrivals)
    }

    /// Watches a relayed session's folder (its `end`) and queue (its commands) here.
    private func followSession(_ session: SessionID, watcher: SpoolWatcher) async {
        try? await watcher.watch(layout.session(session), mask: WatchMask.arrivals)
        try? await watcher.watch(layout.sessionQueue(session), mask: WatchMask.arrivals)
    }

    private func handOver(watcher: SpoolWatcher) async {
        await insertUnsent()
        let queue = SpoolQueue(layout: layout)
        for entry in QueueOrder().sorted(queue.entries()) where !leftLocal.contains(entry.id) {
            let path = layout.queued(entry.id, entry.priority)
            // Peek first: what only local workers can run is never claimed.
            if let request = try? JobRequest.load(path: path, defaults: RequestDefaults(job: entry.id, priority: entry.priority)),
               request.session != nil, !request.opensSession {
                leftLocal.insert(entry.id)
                continue
            }
            guard (try? queue.claim(entry, worker: name)) == true else { continue }
            Trace.step("A claimed \(entry.id)")
            await handOff(entry.id, from: .claimed(name), priority: entry.priority, watcher: watcher)
        }
        if leftLocal.count > 10_000 { leftLocal.removeAll() }
    }

    /// A request just claimed here (into this relay's folder, or a relayed session's command
    /// into its session's `running/`): its status says remote, then it goes into PostgreSQL.
    /// - Parameter priority: the queue it came from, which a hand-written request without
    ///   a `priority` field takes (its status then keeps it for a later insert).
    private func handOff(_ id: JobID, from place: JobFacts.Place, priority: Priority, watcher: SpoolWatcher) async {
        guard let path = transitions.path(id, in: place) else { return }
        let command: SessionID? = if case .sessionRunning(let session) = place { session } else { nil }
        let request: JobRequest, bytes: [UInt8]
        do {
            guard let read = try FileSystem.read(path, limit: JobRequest.maxFileBytes) else { return }
            bytes = read
            request = try JobRequest.decode(bytes, path: path, defaults: RequestDefaults(job: id, priority: priority))
        } catch {
            transitions.quarantine(path, reason: "\(error)")
            return
        }
        Trace.step("A decoded \(id)")
        do {
            try FileSystem.makeDirectory(layout.job(id))
            Trace.step("A folder \(id)")
            // As a worker does: `cat jobs/<id>/request.json` (and `screen`, which reads a
            // terminal's size there) work for a job run elsewhere too.
            if command == nil { _ = link(path, layout.job(id, .request)) } // EEXIST after a restart: the same request
            var status = JobStatus(job: id, state: .queued, priority: request.priority, worker: name, createdAt: request.createdAt,
                                   reason: command == nil ? "waiting in PostgreSQL for a worker host" : "waiting for its session's host")
            status.remote = true
            try records.writeStatus(status, durable: false)
            Trace.step("A status \(id)")
        } catch {
            logger.error("cannot record \(id) as relayed: \(error); it waits again where it came from")
            if let command {
                _ = try? transitions.unclaimSessionCommand(id, session: command)
            } else {
                _ = try? transitions.requeue(id, priority: request.priority, from: name)
            }
            return
        }
        var mirror = Mirror()
        mirror.session = command
        if request.opensSession, let session = request.session {
            // The session runs elsewhere: this spool's recovery must leave it to the relay.
            let store = SessionStore(layout: layout)
            if var record = try? store.record(session) {
                record.remote = true
                try? store.write(record)
            }
            mirror.session = session
            mirror.opens = true
            await followSession(session, watcher: watcher)
        }
        mirrors[id] = mirror
        if request.stdinIsPipe { openInput(id) }
        // PostgreSQL takes it while the watch is set up: the status that says remote is
        // written, so from here on a crash leaves the job to this relay's next life.
        Trace.step("A inserting \(id)")
        async let inserted: Void = database.insert(request, bytes: bytes, origin: origin)
        try? await watcher.watch(layout.job(id), mask: WatchMask.arrivals)
        do {
            try await inserted
            Trace.step("A inserted \(id)")
        } catch {
            logger.warning("cannot hand \(id) to PostgreSQL yet: \(error); retrying")
            unsent.insert(id)
        }
    }

    private func insertUnsent() async {
        for id in unsent.sorted() {
            let path = transitions.path(id, in: mirrors[id].map(place) ?? .claimed(name)) ?? layout.active(id, worker: name)
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
        if start.opens, let session = start.session { return try await applyOpener(row, to: start, session: session, watcher: watcher) }
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
                try transitions.fileFinished(id, from: place(mirror), durable: false)
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
        let place = mirrors[id].map(place) ?? .claimed(name)
        let request = transitions.path(id, in: place).flatMap { try? JobRequest.load(path: $0, defaults: RequestDefaults(job: id, priority: .async)) }
        let origin = request.map(JobOrigin.init) ?? JobOrigin(job: id, priority: .async)
        let previous = try? records.status(id)
        try transitions.finish(id, from: place, origin: origin, worker: previous?.worker ?? name,
                               ending: JobEnding(outcome: outcome, finishedAt: .now), previous: previous)
        forget(id, watcher: watcher)
    }

    /// Where a mirrored job's request is on this host: this relay's folder, or (a session's
    /// command) its session's `running/`.
    private func place(_ mirror: Mirror) -> JobFacts.Place {
        if !mirror.opens, let session = mirror.session { return .sessionRunning(session: session) }
        return .claimed(name)
    }

    // MARK: sessions on other hosts

    /// The opener's row as this host's session record: ready on its host once that host's
    /// session is ready, queued again while it reopens elsewhere, closed at its end.
    private func applyOpener(_ row: RemoteJob, to start: Mirror, session: SessionID, watcher: SpoolWatcher) async throws {
        var mirror = start
        defer { if mirrors[row.id] != nil { mirrors[row.id] = mirror } }
        let store = SessionStore(layout: layout)
        switch row.state {
        case .queued, .claimed, .running:
            guard mirror.shown != row.state || mirror.host != row.host else { return }
            if var record = try store.record(session) {
                record.remote = true
                record.host = row.state == .queued ? nil : row.host
                record.worker = name
                if row.state == .running {
                    record.state = .ready
                    record.readyAt = record.readyAt ?? .now
                    record.lastActivityAt = .now
                } else {
                    record.state = .queued
                    record.reason = row.reason
                }
                try store.write(record)
            }
            mirror.shown = row.state
            mirror.host = row.host
            // Commands that waited for the session go now.
            if row.state == .running { await handOverCommands(session, watcher: watcher) }
        case .finished, .lost, .cancelled:
            try store.close(session, reason: row.status?.reason ?? row.reason ?? "closed on host \(row.host ?? "?")")
            _ = try transitions.fileSession(session, from: .claimed(name))
            await watcher.unwatch(layout.sessionQueue(session))
            await watcher.unwatch(layout.session(session))
            forget(row.id, watcher: watcher)
        }
    }

    /// The commands waiting in a relayed session's queue here, in order: each is claimed
    /// into the session's `running/` and handed to PostgreSQL, where the session's host takes it.
    private func handOverCommands(_ session: SessionID, watcher: SpoolWatcher) async {
        guard mirrors[session.opener]?.opens == true else { return }
        for job in SessionStore(layout: layout).queued(session) where mirrors[job] == nil {
            guard (try? transitions.claimSessionCommand(job, session: session)) == true else { continue }
            await handOff(job, from: .sessionRunning(session: session), priority: .sync, watcher: watcher)
        }
    }

    /// `session_end` here: the session's host is asked to end it (after its current command).
    private func forwardEnd(_ session: SessionID) async {
        guard mirrors[session.opener]?.opens == true else { return }
        do { _ = try await database.cancel(session.opener) } catch {
            logger.warning("cannot pass on the end of session \(session): \(error); retrying")
            wake.add(.sessionEnd(session))
        }
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
