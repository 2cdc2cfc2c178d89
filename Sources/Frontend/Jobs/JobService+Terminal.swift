import Spool

/// Terminal jobs (DESIGN.md, "Terminals"): their screens, their state from the kernel,
/// and resizing.
extension JobService {
    /// A terminal job as the tools see it.
    struct TerminalJob: Sendable {
        var snapshot: JobInspector.Snapshot
        var initial: TerminalSize
    }

    /// The terminal job `id`, waiting (up to `deadline`) while it is still queued, or an
    /// error that says what to do instead.
    func terminalJob(_ id: JobID, tool: String, deadline: ContinuousClock.Instant) async throws(ToolError) -> TerminalJob {
        var snapshot = try snapshotOrThrow(id)
        if snapshot.status.state == .queued, deadline > .now {
            // Until it leaves the queue (settle answers at once once it runs, with no quiet asked).
            _ = await settle(id, quiet: .zero, deadline: deadline)
            snapshot = try snapshotOrThrow(id)
        }
        if snapshot.status.state == .queued {
            throw .refused(tool: tool, reason: "job \(id) is still queued (position \(snapshot.position ?? 0)), so it has no terminal yet; call \(tool) again once it runs (status or wait say when)")
        }
        let request: JobRequest?
        do { request = try records.request(id) } catch { throw .spool(error) }
        guard let request else {
            throw .refused(tool: tool, reason: "job \(id) never ran (\(snapshot.status.state.rawValue)), so it has no screen")
        }
        guard let initial = request.terminal else {
            throw .refused(tool: tool, reason: "job \(id) does not run on a terminal: read its output with output or tail, or start the program with tty: true to drive it as a screen")
        }
        return TerminalJob(snapshot: snapshot, initial: initial)
    }


    /// Waits until job `id`'s output has been quiet for `quiet` while it runs, the job has
    /// ended, or `deadline` passed; returns its state then. Woken by inotify (writes to
    /// the job's folder, arrivals in done/) and by a timer at the next moment that could
    /// end the wait, never by polling.
    func settle(_ id: JobID, quiet: Duration, deadline: ContinuousClock.Instant) async -> JobInspector.Snapshot? {
        let events = watcher.events() // subscribed before the first look: no write is missed
        let directory = layout.job(id)
        try? FileSystem.makeDirectory(directory) // a queued job's folder comes later; the watch needs it now
        try? await watcher.watch(directory, mask: WatchMask.changes | WatchMask.arrivals | WatchMask.creations)
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let done = layout.done, doneName = id.fileName
        let forward = Task {
            for await event in events where event.isOverflow || event.directory == directory || (event.directory == done && event.name == doneName) {
                wake.yield()
            }
        }
        defer { forward.cancel() }
        var rule = SettleRule(quiet: quiet, deadline: deadline, size: records.outputSize(id, .stdout), now: .now)
        var iterator = wakes.makeAsyncIterator()
        while true {
            let snapshot = try? self.snapshot(id)
            let next = rule.observe(state: snapshot?.status.state, size: records.outputSize(id, .stdout), now: .now)
            guard case .wait(let until) = next, !Task.isCancelled else { return snapshot }
            let timer = Task {
                await Pause.for(until - .now)
                wake.yield()
            }
            _ = await iterator.next()
            timer.cancel()
        }
    }

    /// `state` from the kernel: the terminal's modes and its foreground processes; nil
    /// when the job runs but its terminal is gone (it is ending: its record is due).
    func terminalState(_ status: JobStatus) -> TerminalState? {
        if status.state.isFinal { return .exited }
        guard status.state == .running, status.remote != true, let leader = status.pid else { return .busy }
        guard let facts = TerminalProbe.facts(leader: leader) else { return nil }
        return TerminalState.decide(facts, ended: false)
    }

    /// Resizes a running terminal job's terminal and records the size for its screen.
    /// Sides left nil keep their current size. Returns the new size.
    func resize(_ id: JobID, status: JobStatus, cols: Int?, rows: Int?) throws(ToolError) -> TerminalSize {
        let tool = "send_input"
        guard status.remote != true else {
            throw .refused(tool: tool, reason: "job \(id) runs on host \(status.host ?? "another host"); its terminal can be resized only there")
        }
        guard let leader = status.pid, let (device, _) = TerminalProbe.terminal(ofLeader: leader),
              let terminal = TerminalDevice(device: device), let current = terminal.size() else {
            throw .refused(tool: tool, reason: "job \(id)'s terminal is gone (the job is ending); nothing was sent")
        }
        let size = TerminalSize(cols: cols ?? current.cols, rows: rows ?? current.rows)
        do { try terminal.resize(size) } catch { throw .spool(error) }
        // Recorded right after, so that a failed resize is never in the log; output the
        // program drew at the new size comes after this offset (it redraws on SIGWINCH).
        do {
            try TerminalSizeLog(layout: layout, job: id).append(.init(offset: records.outputSize(id, .stdout), size: size))
        } catch {
            throw .refused(tool: tool, reason: "job \(id)'s terminal is now \(size.cols)×\(size.rows), but the size could not be recorded for its screen (\(error)): screen draws at the old size until the program redraws")
        }
        return size
    }
}
