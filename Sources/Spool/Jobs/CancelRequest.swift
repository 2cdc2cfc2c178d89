/// Cancels a job from outside its owner (spool-mcp's `cancel`, a receiving relay passing
/// on a cancel from another host): a waiting request is moved to `done/` (atomically
/// against a claim); a running one gets the `cancel` marker, on which its owner has the
/// keeper terminate the process group (TERM, then KILL after the grace period).
public struct CancelRequest: Sendable {
    public let layout: SpoolLayout
    public var order: QueueOrder

    public init(layout: SpoolLayout, order: QueueOrder = QueueOrder()) {
        self.layout = layout
        self.order = order
    }

    public enum Outcome: Sendable, Equatable {
        case dequeued
        case terminating
        case alreadyFinished(JobState)
    }

    public func carryOut(_ id: JobID, note: String = "cancel requested") throws(SpoolError) -> Outcome {
        let action = try JobLifecycle.cancel(JobFacts.read(id, layout: layout, order: order))
        if case .alreadyFinished(let state) = action { return .alreadyFinished(state) }
        try FileSystem.makeDirectory(layout.job(id))
        // The marker first: if a worker claims the request right now, it sees the marker
        // once it has a process to stop, and stops it.
        try AtomicFile.write(Array("\(note) at \(Timestamp.now)\n".utf8), to: layout.job(id, .cancel), layout: layout)
        if case .markAndDequeue(var place) = action {
            // A promote may have moved it since the facts were read.
            if case .queued = place, let priority = SpoolQueue(layout: layout).find(id) { place = .queued(priority) }
            let origin: JobOrigin
            switch place {
            case .queued(let priority): origin = JobOrigin(job: id, priority: priority)
            case .sessionQueued(let session): origin = JobOrigin(job: id, priority: .sync, session: session)
            default: origin = JobOrigin(job: id, priority: .async)
            }
            if try JobTransitions(layout: layout).dequeue(id, from: place, origin: origin) { return .dequeued }
        }
        // A running job's owner relays the marker to its keeper (DESIGN.md: requests are
        // files, never signals), also when its supervisor or worker is gone.
        return .terminating
    }
}
