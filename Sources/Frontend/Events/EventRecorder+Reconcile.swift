import Spool

/// Sessions, and the full comparison of the spool with what was announced.
extension EventRecorder {
    func watchSession(_ id: SessionID) async {
        await follow(layout.session(id), mask: WatchMask.arrivals)
        await follow(layout.sessionQueue(id), mask: WatchMask.arrivals)
        await follow(layout.sessionRunning(id), mask: WatchMask.arrivals)
        let store = SessionStore(layout: layout)
        for job in store.queued(id) where !ledger.isTracked(job) {
            emit(ledger.queued(job, priority: .sync, session: id))
        }
        for job in store.running(id) {
            await started(job, worker: nil)
        }
        await sessionRecordChanged(id)
    }

    func sessionRecordChanged(_ id: SessionID) async {
        guard let record = try? SessionStore(layout: layout).record(id) else { return } // being rewritten: its arrival brings it back
        emit(ledger.session(id, record: record))
        if record.state == .closed {
            await watcher.unwatch(layout.sessionQueue(id))
            await watcher.unwatch(layout.sessionRunning(id))
            await watcher.unwatch(layout.session(id))
        }
    }

    /// Compares the spool with what was announced and records the difference: at start
    /// (changes while no one recorded) and after an inotify overflow.
    func reconcile() async {
        let queue = SpoolQueue(layout: layout, order: order), sessions = SessionStore(layout: layout)
        for entry in queue.entries() {
            emit(ledger.queued(entry.id, priority: entry.priority))
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
        for session in sessions.all() {
            guard let record = try? sessions.record(session) else { continue } // being rewritten: its arrival brings it back
            if record.state == .closed {
                if ledger.followsSession(session) { await sessionRecordChanged(session) }
                continue
            }
            await watchSession(session)
            running.formUnion(sessions.running(session))
        }
        // Known jobs that moved on while no one looked.
        for id in ledger.jobs.keys.sorted() where !running.contains(id) {
            if FileSystem.exists(layout.done(id)) { await finished(id) }
            else if queue.find(id) == nil && sessions.find(id) == nil {
                ledger.forget(id) // removed (retention) without a trace: nothing left to announce
            }
        }
        // Jobs that came and went entirely while no one recorded.
        for name in FileSystem.list(layout.done).sorted() {
            guard let id = JobID(fileName: name), !ledger.isTracked(id),
                  (FileSystem.age(layout.done(id)) ?? 0) <= Timestamp.now.seconds(since: ledger.announcedUntil) + 1 else { continue }
            await finished(id)
        }
        for id in running { output(id, final: false) }
        let recovery = Recovery(layout: layout)
        var alive: Set<WorkerName> = []
        for name in FileSystem.list(layout.workers) {
            if case .workerRecord(let worker) = layout.classify(layout.workers + "/" + name), recovery.isAlive(worker) { alive.insert(worker) }
        }
        emit(ledger.workersAlive(alive))
        ledger.caughtUp(at: .now)
        updatePositions()
    }
}
