import Foundation
import Glibc
import Logging
import Spool

/// The receiving relay: one more frontend to a worker host's spool. It claims jobs from
/// PostgreSQL while the host has free slots, writes each request into the local `queue/`
/// (where this host's `spool-worker`s run it as usual), and streams the job's files back:
/// the running status, the output in chunks, and the final status. It renews its claims'
/// leases; a claim found taken over (fenced) is stopped here.
actor ReceivingRelay {
    let layout: SpoolLayout
    /// This host's name in PostgreSQL (`spool_job.host`): stable across restarts, so the
    /// relay's next life finds its claims.
    let host: String
    /// This spool's id (`spool/host.json`), written into every claim it makes.
    let spool: String
    let slots: Int
    let database: RelayDatabase
    let settings: RelaySettings
    let logger: Logger
    let wake = WakeSet()

    /// A claim this host works on: what PostgreSQL has been told (the flow's rules), and
    /// where its input stands.
    struct Held: Sendable {
        var flow: ClaimFlow
        /// The session this claim opens, or the one whose command it is.
        var session: SessionID?
        var opens = false
        /// Its folder `jobs/<id>/` is watched (it appears when the local worker claims it).
        var watched = false
        var token: Int64 { flow.token }
        var pipe: Bool { flow.pipe }
        /// The last input piece taken from PostgreSQL, and what of it the FIFO has not taken yet.
        var inputSeq: Int64 = 0
        var unwritten: [UInt8] = []
        var eofTaken = false
        var eofWritten = false
    }

    private var held: [JobID: Held] = [:]
    /// When to ask PostgreSQL for work.
    private var demand = ClaimDemand()
    /// A session opened here became ready since the last look (its commands may go now).
    private var sessionsChanged = false
    private var records: JobRecords { JobRecords(layout: layout) }

    init(layout: SpoolLayout, host: String, spool: String, slots: Int, database: RelayDatabase, settings: RelaySettings, logger: Logger) {
        self.layout = layout
        self.host = host
        self.spool = spool
        self.slots = slots
        self.database = database
        self.settings = settings
        self.logger = logger
    }

    func run(watcher: SpoolWatcher) async throws {
        let events = watcher.events()
        try await watcher.watch(layout.done, mask: WatchMask.arrivals)
        // A claimed job's folder appears when the local worker claims it: then it is watched.
        try await watcher.watch(layout.jobs, mask: WatchMask.creations)
        let wake = wake, jobs = layout.jobs, done = layout.done, sessions = layout.sessions
        let fileEvents = Task {
            for await event in events {
                if event.isOverflow { wake.addAll(); continue }
                if event.directory == done, let id = JobID(fileName: event.name) { wake.add(.job(id)); continue }
                if event.directory == jobs, let id = JobID(event.name) { wake.add(.job(id)); continue }
                // A session's record changed here: its opener's claim reports it.
                if (event.directory as NSString).deletingLastPathComponent == sessions,
                   let session = SessionID((event.directory as NSString).lastPathComponent) {
                    wake.add(.job(session.opener))
                    continue
                }
                if (event.directory as NSString).deletingLastPathComponent == jobs, let id = JobID((event.directory as NSString).lastPathComponent) {
                    wake.add(.job(id))
                }
            }
        }
        defer { fileEvents.cancel() }
        await recover(watcher: watcher)
        logger.info("receiving relay for host \(host) ready on \(layout.root) with \(slots) slot(s)")
        var lastRenew = ContinuousClock.now, lastSweep = ContinuousClock.now
        wake.add(.queue)
        while !Task.isCancelled {
            let timeout = nextDue() ?? .milliseconds(Int64(settings.poll * 1000))
            let batch = await wake.next(timeout: timeout)
            let everything = batch.all || batch.isEmpty
            let heldBefore = held.count
            for case .job(let id) in batch.keys where held[id] != nil { await follow(id, watcher: watcher) }
            if everything { for id in held.keys { await follow(id, watcher: watcher) } }
            // Batches that came due.
            let now = ContinuousClock.now
            for (id, claim) in held where claim.flow.due.map({ now >= $0 }) == true {
                await follow(id, watcher: watcher)
            }
            if everything || batch.keys.contains(.control) || now - lastRenew > .milliseconds(Int64(settings.lease * 333)) {
                lastRenew = now
                await renew()
            }
            if everything || batch.keys.contains(.control) {
                for (id, claim) in held where claim.pipe { await pumpInput(id) }
            }
            var announcedNow = batch.keys.contains(.queue), commandAnnounced = false
            for key in batch.keys {
                switch key {
                case .announced(let id):
                    demand.announce(id)
                    announcedNow = true
                case .announcedCommand: commandAnnounced = true
                default: break
                }
            }
            if demand.shouldClaim(everything: everything, announcedNow: announcedNow, slotFreed: held.count < heldBefore) {
                await claim(watcher: watcher, afterGap: everything)
            }
            // The next command of each session open here: when work was announced, a
            // command ended, a session became ready, or at the poll.
            if held.values.contains(where: \.opens),
               everything || announcedNow || commandAnnounced || held.count < heldBefore || sessionsChanged {
                await claimSessionCommands(watcher: watcher)
            }
            sessionsChanged = false
            if now - lastSweep > .milliseconds(Int64(settings.lease * 500)) {
                lastSweep = now
                do { try await database.expireLeases() } catch { logger.warning("lease sweep: \(error)") }
            }
        }
    }

    private func nextDue() -> Duration? {
        let now = ContinuousClock.now
        let due = held.values.compactMap(\.flow.due).min()
        return due.map { max(.milliseconds(1), $0 - now) }
    }

    // MARK: claiming

    private func claim(watcher: SpoolWatcher, afterGap: Bool) async {
        let free = slots - held.count
        guard free > 0 else { return } // what was announced stays in `demand` until a slot frees
        let known = demand.announced
        let claims: [RemoteClaim]
        Trace.step("B claiming")
        do { claims = try await database.claim(host: host, spool: spool, count: free, lease: settings.lease) } catch {
            logger.warning("cannot claim from PostgreSQL: \(error)")
            demand.failed()
            return
        }
        Trace.step("B claimed \(claims.count)")
        for claim in claims { await accept(claim, watcher: watcher) }
        demand.claimed(claims.map(\.id), asked: free, known: known, afterGap: afterGap)
    }

    private func claimSessionCommands(watcher: SpoolWatcher) async {
        let claims: [RemoteClaim]
        do { claims = try await database.claimSessionCommands(host: host, spool: spool, lease: settings.lease) } catch {
            logger.warning("cannot claim session commands from PostgreSQL: \(error)")
            return
        }
        for claim in claims { await accept(claim, watcher: watcher) }
    }

    /// The claim record first, then the request into the local queue: a restart that finds
    /// neither knows the job never reached this host.
    private func accept(_ claim: RemoteClaim, watcher: SpoolWatcher) async {
        let id = claim.id
        do {
            var request = try JobRequest.decode(claim.request, path: "spool_job(\(id)).request",
                                                defaults: RequestDefaults(job: id, priority: claim.priority))
            request.job = id
            request.priority = claim.priority
            // The claim goes into the request: the one write into the queue records both.
            request.claim = HostClaim(token: claim.token, host: host)
            if request.opensSession, let session = request.session {
                // The session opens here, from the state it left elsewhere (if it lived before).
                let snapshot = try claim.sessionState.map { text throws(SpoolError) in
                    try SpoolJSON.decode(SessionSnapshot.self, from: Array(text.utf8), path: "spool_job(\(id)).session_state")
                }
                held[id] = Held(flow: ClaimFlow(token: claim.token, pipe: false), session: session, opens: true)
                try SessionStore(layout: layout).create(
                    SessionRecord(session: session, state: .queued, cwd: request.cwd, env: request.env, shell: request.shell, createdAt: request.createdAt),
                    client: request.client, claim: request.claim, snapshot: snapshot)
                try? await watcher.watch(layout.session(session), mask: WatchMask.arrivals)
                wake.add(.job(id))
                return
            }
            if let session = request.session {
                // A command of a session open here: into its queue, where its shell takes it.
                guard FileSystem.isDirectory(layout.session(session)) else {
                    throw SpoolError.io(operation: "queueing a command of session \(session)", path: layout.session(session), errno: ENOENT)
                }
                held[id] = Held(flow: ClaimFlow(token: claim.token, pipe: false, sessionCommand: true), session: session)
                _ = try SessionStore(layout: layout).submitDeferred(request)
                wake.add(.job(id))
                return
            }
            if request.stdinIsPipe {
                // A job that takes input also keeps how far its input went, in claim.json.
                try FileSystem.makeDirectory(layout.job(id))
                try AtomicFile.write(json: RelayClaim(token: claim.token, host: host, stdinPipe: true), to: claimPath(id),
                                     layout: layout, durable: false)
            }
            held[id] = Held(flow: ClaimFlow(token: claim.token, pipe: request.stdinIsPipe))
            _ = try SpoolQueue(layout: layout).submitDeferred(request)
            Trace.step("B queued \(id)")
            // Its folder is watched once the worker has made it (`follow`); a look right
            // after catches whatever happened before the watch was in place. Once queued
            // here it is never given back (it may be running).
            wake.add(.job(id))
        } catch {
            logger.error("cannot queue claimed job \(id) here: \(error); giving it back")
            held[id] = nil
            FileSystem.remove(layout.job(id) + "/" + RelayClaim.fileName)
            try? await database.release(id, token: claim.token)
        }
    }

    /// After a restart: the claims PostgreSQL says this host holds are followed again when
    /// the local spool has them, and given back when nothing of them reached it.
    private func recover(watcher: SpoolWatcher) async {
        while !Task.isCancelled {
            do {
                let claims = try await database.held(by: host)
                let rows = try await database.jobs(claims.map(\.id))
                for claim in claims {
                    let found = localClaim(claim.id, session: claim.session)
                    let local = found?.claim
                    switch ClaimRecovery.fate(token: claim.token, local: local.map { .claimed(token: $0.token) } ?? .none, ownSpool: claim.spool == spool) {
                    case .release:
                        logger.notice("job \(claim.id) was claimed but never reached this host: giving it back")
                        try await database.release(claim.id, token: claim.token)
                    case .resume:
                        let row = rows.first { $0.id == claim.id }
                        let request = found?.request
                        let opens = request?.opensSession == true
                        var entry = Held(flow: ClaimFlow(token: claim.token, pipe: local?.stdinPipe == true,
                                                         sessionCommand: !opens && request?.session != nil,
                                                         sent: [.stdout: row?.stdoutBytes ?? 0, .stderr: row?.stderrBytes ?? 0],
                                                         reportedRunning: row?.state == .running),
                                         session: request?.session, opens: opens)
                        if opens, let session = request?.session { try? await watcher.watch(layout.session(session), mask: WatchMask.arrivals) }
                        entry.inputSeq = local?.inputSeq ?? 0
                        entry.eofWritten = FileSystem.exists(layout.job(claim.id, .stdinEOF))
                        entry.eofTaken = entry.eofWritten
                        held[claim.id] = entry
                    case .ignore:
                        if claim.spool != spool {
                            logger.notice("job \(claim.id) is claimed under host \(host) by another spool (\(claim.spool.isEmpty ? "an older relay" : claim.spool)); leaving it to its lease")
                        }
                        continue
                    }
                }
                if !held.isEmpty { logger.info("following \(held.count) claimed job(s) again") }
                return
            } catch {
                logger.warning("cannot read this host's claims yet: \(error); retrying")
                await Pause.for(.seconds(1))
            }
        }
    }

    private func claimPath(_ id: JobID) -> String { layout.job(id) + "/" + RelayClaim.fileName }

    /// What this spool recorded of a claim of `id`: `claim.json` (a job that takes input),
    /// else the `claim` in its request, wherever the request is now
    /// (`JobRecords.requestAnywhere`). Nil: nothing of it reached this spool.
    /// - Parameter session: the session PostgreSQL says the job belongs to: a command of it
    ///   waits or runs in that session's folder.
    private func localClaim(_ id: JobID, session: SessionID?) -> (claim: RelayClaim, request: JobRequest?)? {
        let found = records.requestAnywhere(id, session: session.flatMap { $0.opener == id ? nil : $0 })
        if let record = try? SpoolJSON.load(RelayClaim.self, from: claimPath(id)) { return (record, found) }
        guard let request = found, let claim = request.claim else { return nil } // nothing here, or not a relayed request
        return (RelayClaim(token: claim.token, host: claim.host, stdinPipe: request.stdinIsPipe), request)
    }

    // MARK: input

    /// Takes new input pieces from PostgreSQL and writes them into the job's FIFO here
    /// (without blocking: what the command has not read yet waits for the next look), then
    /// its end as the `stdin.eof` marker, on which the keeper closes the command's input.
    private func pumpInput(_ id: JobID) async {
        guard var claim = held[id], claim.pipe, !claim.eofWritten else { return }
        defer { if held[id] != nil { held[id] = claim } }
        do {
            if !claim.eofTaken {
                for piece in try await database.input(id, after: claim.inputSeq) {
                    claim.unwritten += piece.data
                    claim.inputSeq = piece.seq
                    if piece.eof { claim.eofTaken = true }
                }
            }
            if !claim.unwritten.isEmpty {
                let fd = open(layout.job(id, .stdin), O_WRONLY | O_NONBLOCK | O_CLOEXEC)
                // Not started yet (no FIFO, or no reader): the next look writes it.
                guard fd >= 0 else { return }
                defer { close(fd) }
                var written = 0
                while written < claim.unwritten.count {
                    let n = claim.unwritten.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                    if n > 0 { written += n } else if n < 0 && errno == EINTR { continue } else { break }
                }
                claim.unwritten.removeFirst(written)
            }
            if claim.eofTaken, claim.unwritten.isEmpty {
                try AtomicFile.write(Array("eof sent through PostgreSQL at \(Timestamp.now)\n".utf8), to: layout.job(id, .stdinEOF),
                                     layout: layout, durable: false)
                claim.eofWritten = true
            }
            try AtomicFile.write(json: RelayClaim(token: claim.token, host: host, stdinPipe: true, inputSeq: claim.inputSeq),
                                 to: claimPath(id), layout: layout, durable: false)
        } catch {
            logger.warning("cannot pass input on to job \(id) yet: \(error)")
        }
    }

    // MARK: leases and cancels

    private func renew() async {
        let tokens = held.values.map(\.token)
        guard !tokens.isEmpty else { return }
        do {
            let (current, cancelled) = try await database.renew(host: host, tokens: tokens, lease: settings.lease)
            for (id, claim) in held {
                if !current.contains(claim.token) {
                    fenced(id, why: "its lease was taken over")
                } else if cancelled.contains(claim.token), claim.opens, let session = claim.session {
                    // An opener's cancel is its origin's session_end: the session ends after its current command.
                    endSession(session)
                } else if cancelled.contains(claim.token), !records.isCancelRequested(id) {
                    do {
                        let outcome = try CancelRequest(layout: layout).carryOut(id, note: "cancel requested through PostgreSQL")
                        logger.info("cancel of \(id) from its origin: \(outcome)")
                    } catch {
                        logger.warning("cannot cancel \(id): \(error)")
                    }
                }
            }
        } catch {
            logger.warning("cannot renew leases: \(error)")
        }
    }

    /// Another host has the job now (or it was reported lost): this host's run is stopped
    /// and forgotten; its writes would change nothing anyway.
    private func fenced(_ id: JobID, why: String) {
        logger.warning("job \(id): \(why); stopping it here")
        let claim = held[id]
        held[id] = nil
        if let claim, claim.opens, let session = claim.session {
            // The opener's claim: the session lives on another host now (it reopened there
            // from its saved state), so this host's shell ends and frees its slot.
            endSession(session)
            return
        }
        if !FileSystem.exists(layout.done(id)) {
            _ = try? CancelRequest(layout: layout).carryOut(id, note: "fenced: \(why)")
        }
    }

    /// Asks this host's shell of `session` to end (after its current command), once.
    private func endSession(_ session: SessionID) {
        let store = SessionStore(layout: layout)
        guard !store.isEndRequested(session) else { return }
        do { try store.requestEnd(session) } catch { logger.warning("cannot end session \(session) here: \(error)") }
    }

    // MARK: streaming back

    /// Brings PostgreSQL in line with the job's local files: `ClaimFlow` decides the steps,
    /// this carries them out in order and tells it what completed.
    private func follow(_ id: JobID, watcher: SpoolWatcher) async {
        guard var flow = held[id]?.flow else { return }
        if held[id]?.watched == false, FileSystem.isDirectory(layout.job(id)) {
            do { try await watcher.watch(layout.job(id), mask: WatchMask.contents) } catch {
                // Without a watch, done/ and the poll still see it through.
                logger.warning("cannot watch \(layout.job(id)): \(error); following it by done/ and the poll")
            }
            held[id]?.watched = true
        }
        let facts: ClaimFlow.Facts
        do {
            // done/ first: the final status is written before the rename, so one read after it is final.
            let ended = FileSystem.exists(layout.done(id))
            if held[id]?.opens == true, let session = held[id]?.session {
                facts = try openerFacts(id, session: session, ended: ended)
            } else {
                facts = ClaimFlow.Facts(status: try records.status(id), ended: ended,
                                        stdoutBytes: records.outputSize(id, .stdout), stderrBytes: records.outputSize(id, .stderr))
            }
        } catch {
            logger.warning("cannot read job \(id) here: \(error); retrying")
            return
        }
        let steps = flow.observe(facts, host: host, now: .now)
        held[id]?.flow = flow
        do {
            for step in steps {
                guard held[id] != nil else { return }
                switch step {
                case .reportRunning(let status):
                    Trace.step("B saw running \(id)")
                    guard try await database.started(id, token: flow.token, status: status) else { return fenced(id, why: "the claim is outdated") }
                    Trace.step("B reported running \(id)")
                    if held[id]?.opens == true { sessionsChanged = true; wake.add(.queue) }
                case .pumpInput:
                    await pumpInput(id)
                case .send(let stream, let from, let to):
                    var offset = from
                    while offset < to {
                        guard let bytes = try FileSystem.read(layout.job(id, stream.file), offset: offset, limit: min(OutputBatch.chunk, Int(to - offset))),
                              !bytes.isEmpty else { break }
                        guard try await database.append(id, token: flow.token, OutputChunk(stream: stream, offset: offset, data: bytes)) else {
                            return fenced(id, why: "the claim is outdated")
                        }
                        offset += Int64(bytes.count)
                    }
                    flow.completed(.send(stream, from: from, to: offset))
                    held[id]?.flow = flow
                    // Less than the file said (it shrank?): the end waits for another look.
                    guard offset == to else { wake.add(.job(id)); return }
                    continue
                case .reportFinished(let record, let savingSession):
                    Trace.step("B saw end \(id)")
                    var save: RelayDatabase.SessionSave?
                    if savingSession, let session = held[id]?.session {
                        // Under the opener's claim; none held here means the session lives elsewhere now.
                        guard let opener = held[session.opener] else { return fenced(id, why: "its session is no longer open here") }
                        let state = String(decoding: try SpoolJSON.encode(try SessionSnapshot.read(session, layout: layout)), as: UTF8.self)
                        save = RelayDatabase.SessionSave(opener: session.opener, token: opener.token, state: state)
                    }
                    guard try await database.finished(id, token: flow.token, status: record, session: save) else {
                        return fenced(id, why: save == nil ? "the claim is outdated" : "the claim, or its session's, is outdated")
                    }
                    Trace.step("B reported end \(id)")
                    held[id] = nil
                    let directory = layout.job(id)
                    Task { await watcher.unwatch(directory) }
                    return
                }
                flow.completed(step)
                held[id]?.flow = flow
            }
        } catch {
            logger.warning("cannot stream job \(id) back: \(error); retrying")
        }
    }

    /// What an opener's claim reports: running once the session is ready here, and its
    /// end once it closed and its opener was filed in `done/`.
    private func openerFacts(_ id: JobID, session: SessionID, ended: Bool) throws(SpoolError) -> ClaimFlow.Facts {
        let record = try SessionStore(layout: layout).record(session)
        var status: JobStatus?
        if ended {
            var final = JobStatus(job: id, state: .succeeded, priority: .sync, worker: record?.worker, createdAt: id.createdAt)
            final.exitCode = 0
            final.finishedAt = record?.closedAt ?? .now
            final.reason = record?.reason
            status = final
        } else if record?.state == .ready {
            status = JobStatus(job: id, state: .running, priority: .sync, worker: record?.worker, createdAt: id.createdAt)
        }
        return ClaimFlow.Facts(status: status, ended: ended, stdoutBytes: 0, stderrBytes: 0)
    }
}

/// `jobs/<id>/claim.json` on a worker host: which claim of a relayed job this host's copy
/// belongs to. Written before the request enters the local queue.
struct RelayClaim: Codable, Sendable, Equatable {
    static let fileName = "claim.json"
    var token: Int64
    var host: String
    var stdinPipe: Bool?
    /// The last input piece written into the job's FIFO here.
    var inputSeq: Int64?
}
