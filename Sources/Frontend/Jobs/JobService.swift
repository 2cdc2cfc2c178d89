import Foundation
import Spool

/// What the MCP tools do to the spool. Reads and writes files only; it never runs a
/// command (workers do).
struct JobService: Sendable {
    let layout: SpoolLayout
    let order: QueueOrder
    let watcher: SpoolWatcher
    /// `--max-running`, for capacity in ETAs and `stats`.
    var maxRunning: Int = 0
    /// Flushes the requests whose replies make promises, in shared rounds.
    let committer = GroupCommitter()
    /// The waiting requests, kept from inotify (`start` counts from it).
    let queueIndex: QueueIndex
    /// The job policy this spool-mcp hands its workers, and what the kernel here enforces
    /// of it (`stats`, `/health`, the server instructions).
    var policy: PolicyReport?
    /// Terminal jobs' screens, each replayed from where the last look stopped.
    let screens: TerminalScreens

    init(layout: SpoolLayout, order: QueueOrder, watcher: SpoolWatcher, maxRunning: Int = 0) {
        self.layout = layout
        self.order = order
        self.watcher = watcher
        self.maxRunning = maxRunning
        queueIndex = QueueIndex(layout: layout)
        screens = TerminalScreens(layout: layout)
    }

    var queue: SpoolQueue { SpoolQueue(layout: layout, order: order) }
    var records: JobRecords { JobRecords(layout: layout) }
    var inspector: JobInspector {
        let index = queueIndex
        return JobInspector(layout: layout, order: order, kept: { index.snapshot() })
    }
    var sessions: SessionStore { SessionStore(layout: layout) }

    /// Watches the folders whose changes mark a job's progress.
    func startWatching() async throws(SpoolError) {
        try await watcher.watch(layout.done, mask: WatchMask.arrivals)
    }

    var audit: AuditLog { AuditLog(layout: layout) }

    /// A queued request and its `accepted` audit line, each still to be flushed.
    struct Submission: Sendable {
        let request: PendingSync
        let audit: PendingSync
    }

    /// Queues a request (a session's command in its session's queue, others in the
    /// spool's) without fsync, after its `accepted` audit line: a request the log cannot
    /// record is not queued. Whoever replies with its job id before it has ended first
    /// commits both flushes (DESIGN.md: durability follows the promise).
    func submit(_ request: JobRequest, tool: String) throws(SpoolError) -> Submission {
        let line = try audit.append(.accepted(request, tool: tool))
        do {
            if request.session != nil, let pending = try sessions.submitDeferred(request) { return Submission(request: pending, audit: line) }
            return Submission(request: try queue.submitDeferred(request), audit: line)
        } catch {
            audit.record(.refused("accepted, but it could not be queued: \(error)", client: request.client, tool: tool,
                                  job: request.job, session: request.session))
            throw error
        }
    }


    func snapshot(_ id: JobID) throws(SpoolError) -> JobInspector.Snapshot {
        try inspector.snapshot(id)
    }

    /// Waits until all (or, with `any`, one) of `ids` reach a final state, or `timeout`
    /// seconds pass. Event-driven: each arrival in done/ re-checks; nothing is polled.
    /// Returns the snapshots the last check read (a job missing from them is unknown or
    /// unreadable, which ends the wait too): an ended job's files are read once, not again.
    func waitFinal(_ ids: [JobID], any: Bool, timeout: Double) async -> [JobID: JobInspector.Snapshot] {
        // Subscribed before the first check: no gap. Only these jobs' arrivals in done/
        // wake it, not every event of every other `run` in flight.
        let events = watcher.events(in: layout.done, named: Set(ids.map(\.fileName)))
        let inspector = self.inspector
        let look: @Sendable () -> Look = {
            var snapshots: [JobID: JobInspector.Snapshot] = [:]
            var ended = 0
            for id in ids {
                if let snapshot = try? inspector.snapshot(id) {
                    snapshots[id] = snapshot
                    if snapshot.status.state.isFinal { ended += 1 }
                } else {
                    ended += 1 // unknown or unreadable ends the wait; the caller reports it
                }
            }
            return Look(snapshots: snapshots, satisfied: any ? ended > 0 : ended == ids.count)
        }
        let first = look()
        guard timeout > 0, !first.satisfied else { return first.snapshots }
        let last = await withTaskGroup(of: Look?.self) { group in
            group.addTask {
                for await _ in events {
                    let now = look()
                    if now.satisfied { return now }
                }
                return nil
            }
            group.addTask {
                await Pause.for(.seconds(timeout))
                return nil
            }
            let answer = await group.next() ?? nil
            group.cancelAll()
            return answer
        }
        return (last ?? look()).snapshots // at the timeout: where they stand now
    }

    /// What one check of `waitFinal` read.
    private struct Look: Sendable {
        var snapshots: [JobID: JobInspector.Snapshot]
        var satisfied: Bool
    }

    /// Bytes of one output stream from `offset`, at most `limit`.
    func read(_ id: JobID, _ stream: JobStream, offset: Int64, limit: Int) throws(SpoolError) -> [UInt8] {
        try FileSystem.read(layout.job(id, stream.file), offset: offset, limit: limit) ?? []
    }

    /// The last `count` lines of a stream, reading backwards in blocks (never the whole file).
    func tail(_ id: JobID, _ stream: JobStream, lines count: Int, maxBytes: Int = 1 << 20) throws(SpoolError) -> (text: [UInt8], truncated: Bool) {
        try LineTail.last(count, size: records.outputSize(id, stream), maxBytes: maxBytes) { (offset, limit) throws(SpoolError) in
            try read(id, stream, offset: offset, limit: limit)
        }
    }

    typealias CancelOutcome = CancelRequest.Outcome

    /// Cancels a job (`CancelRequest`: a waiting one is dequeued, a running one marked).
    func cancel(_ id: JobID) throws(SpoolError) -> CancelOutcome {
        try CancelRequest(layout: layout, order: order).carryOut(id)
    }
}
