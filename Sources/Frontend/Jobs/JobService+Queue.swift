import Glibc
import Spool

/// Queue control: promote, ETAs and the census behind `stats`.
extension JobService {
    enum PromoteOutcome: Sendable {
        case moved(from: Priority)
        case alreadyThere
    }

    /// Moves a waiting request to the other queue by rename, so it is atomic against a
    /// claim: either the worker got it first (and it runs) or it waits in the new queue.
    func promote(_ id: JobID, to target: Priority) throws(ToolError) -> PromoteOutcome {
        let tool = "promote"
        if let current = queue.find(id) {
            if current == target { return .alreadyThere }
            do {
                if try JobTransitions(layout: layout).promote(id, from: current, to: target) {
                    return .moved(from: current)
                }
            } catch { throw .spool(error) }
        }
        if case .queued = sessions.find(id) {
            throw .refused(tool: tool, reason: "job \(id) waits in its session's queue, which runs commands in order; priorities do not apply there")
        }
        let state = try snapshotOrThrow(id).status.state
        switch state {
        case .running: throw .refused(tool: tool, reason: "job \(id) is already running; promote only moves waiting requests")
        case .queued: throw .refused(tool: tool, reason: "job \(id) moved while promoting; check status and try again")
        default: throw .refused(tool: tool, reason: "job \(id) has already ended (\(state.rawValue)); nothing to promote")
        }
    }

    func snapshotOrThrow(_ id: JobID) throws(ToolError) -> JobInspector.Snapshot {
        do { return try snapshot(id) } catch { throw .spool(error) }
    }

    /// What ETAs are computed from, read once per tool call.
    /// - Parameter queued: the queue as just seen (else the index's, or a listing).
    func estimator(queued: QueueSnapshot? = nil) -> QueueEstimator {
        QueueEstimator(census: SpoolCensus.take(layout, queued: queued ?? queueSnapshot()), averages: AveragesFile(layout: layout).load(), maxRunning: maxRunning)
    }

    /// The queue from the index kept from inotify, or one listing while it has none.
    func queueSnapshot() -> QueueSnapshot { inspector.queueSnapshot() }
}

/// Turns queue positions into ETAs with the spool's moving averages.
struct QueueEstimator: Sendable {
    let census: SpoolCensus
    let averages: QueueAverages
    let maxRunning: Int

    var capacity: Int { census.capacity(maxRunning: maxRunning) }

    func eta(_ snapshot: JobInspector.Snapshot) -> Double? {
        guard snapshot.status.state == .queued, let position = snapshot.position else { return nil }
        if snapshot.status.session != nil {
            // A session runs its commands one at a time, in order.
            return Estimate.eta(position: position, running: 1, capacity: 1, runSeconds: averages.runSeconds)
        }
        return eta(position: position)
    }

    /// ETA of a request at `position` in the spool's queue.
    func eta(position: Int) -> Double? {
        Estimate.eta(position: position, running: census.running, capacity: capacity, runSeconds: averages.runSeconds)
    }

    /// ETA of a request submitted now with `priority`.
    func etaForNext(_ priority: Priority) -> Double? {
        eta(position: 1 + (priority == .sync ? census.queuedSync : census.queuedSync + census.queuedAsync))
    }
}
