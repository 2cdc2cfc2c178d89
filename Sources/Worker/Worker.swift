import Foundation
import Logging
import Spool

/// Claims waiting requests and runs up to `slots` of them at once.
///
/// Woken by inotify when a request arrives and when one of its jobs ends; a slow timer
/// (every `tickSeconds`) only does what no file event announces: noticing that another
/// worker died (a released flock makes no inotify event), refreshing the heartbeat,
/// noticing that the parent frontend is gone, and taking up an empty request file that
/// its writer abandoned (one still being written is skipped until its close event).
actor Worker {
    let layout: SpoolLayout
    let name: WorkerName
    let slots: Int
    let queue: SpoolQueue
    let runner: JobRunner
    let parent: Int32?
    let logger: Logger
    let limits: WorkerLimits
    let hostSlots: HostSlots
    let throttle: Throttle
    let tickSeconds: Double = 2

    /// Every job of this worker until its end is filed.
    private var running: [JobID: Task<Void, Never>] = [:]
    /// The jobs that hold one of the `slots`: from the claim until the command's end is
    /// known. Filing that end (the status, the move to done/, the audit line) takes no
    /// slot, so the next claim does not wait for it.
    private var occupying: Set<JobID> = []
    /// The host-wide slot each running job holds (`--max-running`).
    private var grants: [JobID: HostSlots.Grant] = [:]
    private var throttleChecked: (at: ContinuousClock.Instant, reason: String?)?
    private var lastRetention: ContinuousClock.Instant?
    private var lastTemporarySweep: ContinuousClock.Instant?
    /// Jobs of this worker's previous life that still run under their supervisors.
    private var adopted: Set<JobID> = []
    private var stopping = false
    private var registration: WorkerRegistration?
    /// The waiting requests in reverse serving order (the next one last, so taking it is
    /// O(1)), from the last listing of the queue and the arrivals since. A drain claims
    /// from it without listing again; an arrival in a queue folder (a new request, a
    /// promote, a requeue) is put where it belongs; an overflow of events and every tick
    /// make the next claim list afresh. A stale entry costs one failed rename.
    private var waiting: [QueueEntry]?

    init(layout: SpoolLayout, name: WorkerName, slots: Int, order: QueueOrder, runner: JobRunner,
         limits: WorkerLimits, parent: Int32?, logger: Logger) {
        self.limits = limits
        self.hostSlots = HostSlots(layout: layout, maxRunning: limits.maxRunning)
        self.throttle = Throttle(maxLoad: limits.maxLoad, maxMemory: limits.maxMemory)
        self.layout = layout
        self.name = name
        self.slots = slots
        self.queue = SpoolQueue(layout: layout, order: order)
        self.runner = runner
        self.parent = parent
        self.logger = logger
    }

    func run() async throws {
        try layout.create()
        let registration = try WorkerRegistration(layout: layout, name: name, slots: slots)
        self.registration = registration
        let watcher = try SpoolWatcher.shared()
        for priority in Priority.allCases {
            try await watcher.watch(layout.queue(priority), mask: WatchMask.arrivals)
        }
        // Subscribe before the first scan so that nothing arriving in between is missed.
        let events = watcher.events()
        adoptOwnOrphans()
        Recovery(layout: layout, caller: name, killGrace: runner.killGrace).sweepDeadWorkers(except: name)
        logger.info("worker \(name) ready on \(layout.root) with \(slots) slot(s)")
        fill()
        await withTaskGroup(of: Void.self) { group in
            let queueFolders = Dictionary(uniqueKeysWithValues: Priority.allCases.map { (layout.queue($0), $0) })
            group.addTask {
                for await event in events {
                    if event.isOverflow {
                        await self.queueChanged()
                    } else if event.isArrival, let priority = queueFolders[event.directory] {
                        await self.arrived(event.name, priority)
                    }
                    if await self.fill() == .stop { break }
                }
            }
            group.addTask {
                while await self.tick() {
                    await Pause.for(.seconds(self.tickSeconds))
                }
            }
            await group.next()
            group.cancelAll()
        }
        AveragesFile(layout: layout).flush()
        registration.unregister()
        logger.info("worker \(name) stopped")
    }

    enum Next { case go, stop }

    private func queueChanged() {
        waiting = nil
    }

    /// A request arrived in a queue folder: it joins the list of waiting requests where it
    /// belongs, without a new listing. A name that is no request's makes the next claim
    /// list afresh (which moves it aside).
    private func arrived(_ name: String, _ priority: Priority) {
        guard waiting != nil, let id = JobID(fileName: name) else {
            waiting = nil
            return
        }
        queue.order.insert(QueueEntry(id: id, priority: priority), intoReversed: &waiting!)
    }

    /// Claims requests until every slot is busy or the queue is empty.
    @discardableResult
    func fill() -> Next {
        if stopping { return .stop }
        guard occupying.count < slots else { return .go }
        // Taken out of the actor's state while claiming, so that removing entries copies nothing.
        var entries = waiting.take() ?? queue.order.sorted(queue.entries { name, priority in
            self.queue.quarantine(self.layout.queue(priority) + "/" + name,
                reason: "not a request file: names are <job id>.json with a 26-character ULID id")
        }).reversed()
        // Throttling holds back async work only: an agent is blocked on every sync request.
        let throttled = throttleReason() != nil
        // Priorities whose host slots (`--max-running`) are all taken for now.
        var full: Set<Priority> = []
        // Skipped for now (throttled, or no host slot), in reverse serving order.
        var held: [QueueEntry] = []
        // Take them in serving order; one another worker got first is skipped.
        while occupying.count < slots, let entry = entries.popLast() {
            if (throttled && entry.priority == .async) || full.contains(entry.priority) {
                held.append(entry)
                continue
            }
            // Written in place (`echo … > queue/async/ID.json`) rather than renamed in:
            // still empty means the writer has not written yet; its close wakes us.
            let path = layout.queued(entry.id, entry.priority)
            guard let size = FileSystem.size(path) else { continue } // gone: claimed, cancelled or promoted elsewhere
            if !SpoolQueue.isReady(size: size, age: { FileSystem.age(path) }) { continue }
            guard let grant = hostSlots.acquire(for: entry.priority) else {
                full.insert(entry.priority) // a sync one may still fit
                held.append(entry)
                continue
            }
            var claimed = false
            do {
                claimed = try queue.claim(entry, worker: name)
            } catch {
                logger.error("claiming \(entry.id): \(error)")
            }
            if claimed { start(entry, grant: grant) }
        }
        entries.append(contentsOf: held.reversed())
        waiting = entries
        return .go
    }

    /// Why async work is held back (cached for a second: it reads /proc).
    private func throttleReason() -> String? {
        if let checked = throttleChecked, ContinuousClock.now - checked.at < .seconds(1) { return checked.reason }
        let reason = throttle.reason()
        if reason != throttleChecked?.reason {
            if let reason { logger.notice("not claiming async work: \(reason)") } else if throttleChecked != nil { logger.notice("claiming async work again") }
        }
        throttleChecked = (.now, reason)
        return reason
    }

    private func start(_ entry: QueueEntry, grant: HostSlots.Grant) {
        switch ClaimFacts.read(entry, worker: name, layout: layout).admission {
        case .quarantine(let reason):
            queue.quarantine(layout.active(entry.id, worker: name), reason: reason)
        case .reject(let request, let problem):
            do {
                try JobTransitions(layout: layout, committer: runner.committer).finish(entry.id, from: .claimed(name), origin: JobOrigin(request), worker: name,
                                                          ending: JobEnding(outcome: .rejected(reason: problem.description), finishedAt: .now))
            } catch {
                logger.error("job \(entry.id): cannot record its rejection (\(problem)): \(error); retrying")
                adopted.insert(entry.id) // Recovery then requeues it, and the next claim rejects it again
            }
        case .openSession(let request):
            occupying.insert(entry.id)
            grants[entry.id] = grant
            let host = SessionHost(layout: layout, request: request, worker: name, idleLimit: limits.sessionIdle,
                                   killGrace: runner.killGrace, committer: runner.committer, confinement: runner.confinement, logger: logger)
            running[entry.id] = Task {
                await host.serve()
                self.finished(entry.id)
            }
        case .run(let request):
            occupying.insert(entry.id)
            grants[entry.id] = grant
            let runner = self.runner
            running[entry.id] = Task {
                // The slot is handed on by a message to this actor that the filing does
                // not wait for: the next claim and this job's filing go on side by side.
                let ended: @Sendable () -> Void = { Task { await self.commandEnded(entry.id) } }
                if await runner.run(request, commandEnded: ended) == .pending { self.retryLater(entry.id) }
                self.finished(entry.id)
            }
        }
    }

    /// A job whose end could not be filed: `tick` retries its bookkeeping.
    private func retryLater(_ id: JobID) {
        adopted.insert(id)
    }

    /// A job's command has ended: its slots (this worker's and the host's) take the next.
    private func commandEnded(_ id: JobID) {
        guard occupying.remove(id) != nil else { return }
        grants[id] = nil
        if !stopping { fill() }
    }

    private func finished(_ id: JobID) {
        running[id] = nil
        occupying.remove(id)
        grants[id] = nil
        if stopping {
            if running.isEmpty { logger.info("all jobs finished") }
        } else {
            fill()
        }
    }

    /// Periodic duties; returns false once the worker should exit.
    private func tick() -> Bool {
        // A stopping worker claims nothing more, but it still files the ends of the jobs it
        // adopted: while it lives (a session can keep it alive for long), nobody else may.
        if stopping {
            fileAdopted(Recovery(layout: layout, caller: name, killGrace: runner.killGrace))
            return !running.isEmpty
        }
        if let parent, getppid() != parent {
            logger.notice("the spool-mcp that started this worker is gone; stopping")
            beginStop()
            return !running.isEmpty
        }
        do { try registration?.heartbeat() } catch { logger.warning("cannot refresh \(layout.workerRecord(name)): \(error)") }
        AveragesFile(layout: layout).flush()
        OrphanReaper.sweep()
        let recovery = Recovery(layout: layout, caller: name, killGrace: runner.killGrace)
        recovery.sweepDeadWorkers(except: name)
        fileAdopted(recovery)
        if limits.retain > 0, lastRetention.map({ ContinuousClock.now - $0 > .seconds(min(60, limits.retain)) }) ?? true {
            let removed = Retention(layout: layout, retain: limits.retain).sweep()
            if removed > 0 { logger.info("retention removed \(removed) finished job(s) older than \(limits.retain) s") }
            // A full batch: more may wait, and the next tick takes the next batch.
            lastRetention = removed < Retention.batch ? .now : nil
        }
        if lastTemporarySweep.map({ ContinuousClock.now - $0 > .seconds(StaleTemporaries.minimumAge) }) ?? true {
            let removed = StaleTemporaries.sweep(layout)
            if removed > 0 { logger.info("removed \(removed) file(s) that stopped writers left in \(layout.tmp)") }
            lastTemporarySweep = .now
        }
        queueChanged() // aging may have reordered it; and what no event announced
        fill()
        return true
    }

    /// Files the ends of adopted jobs that have ended (or retries their bookkeeping).
    private func fileAdopted(_ recovery: Recovery) {
        for id in adopted {
            switch recovery.recover(id, worker: name) {
            case .stillRunning: break
            case .retrying(let error): logger.warning("job \(id): its bookkeeping failed (\(error)); retrying")
            default: adopted.remove(id)
            }
        }
    }

    /// Requests left in our own folder by an earlier process with our name.
    private func adoptOwnOrphans() {
        for (id, outcome) in Recovery(layout: layout, caller: name, killGrace: runner.killGrace).recover(worker: name) {
            switch outcome {
            case .stillRunning, .retrying: adopted.insert(id)
            default: break
            }
        }
    }

    /// Stops claiming; running jobs may finish within `grace` seconds.
    func beginStop() {
        stopping = true
    }

    /// Waits up to `grace` seconds for running jobs. Jobs still running after that keep
    /// running under their supervisors and are finished by whoever recovers them.
    func drain(grace: Double) async {
        beginStop()
        let jobs = Array(running.values)
        // Awaiting a task's value ignores cancellation, so a task group racing it against
        // the grace would still wait for the slowest job; whichever ends the stream first wins.
        let (ended, finish) = AsyncStream<Void>.makeStream()
        let waiter = Task {
            for job in jobs { await job.value }
            finish.finish()
        }
        let timer = Task {
            await Pause.for(.seconds(grace))
            finish.finish()
        }
        for await _ in ended {}
        waiter.cancel()
        timer.cancel()
        AveragesFile(layout: layout).flush()
        registration?.unregister()
    }
}
