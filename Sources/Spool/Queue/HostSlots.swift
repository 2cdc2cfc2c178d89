/// Host-wide concurrency (`--max-running N`): `slots/0.lock` … `slots/N-1.lock`, and a
/// running job (or open session) holds a flock on one. flock rather than a counter file
/// because the kernel releases a dead holder's slot by itself.
///
/// Slot 0 is kept for sync requests when N > 1, so that async work alone can never take
/// every slot and leave an agent that is waiting on a `run` with nothing.
public struct HostSlots: Sendable {
    public let layout: SpoolLayout
    /// 0 means no host-wide limit.
    public let maxRunning: Int

    public init(layout: SpoolLayout, maxRunning: Int) {
        self.layout = layout
        self.maxRunning = maxRunning
    }

    public enum Grant: Sendable {
        case unlimited
        case slot(FileLock)
    }

    /// A slot for a request of `priority`, or nil when all it may use are taken.
    public func acquire(for priority: Priority) -> Grant? {
        guard maxRunning > 0 else { return .unlimited }
        let candidates = priority == .sync || maxRunning == 1 ? Array(0..<maxRunning) : Array(1..<maxRunning)
        for index in candidates {
            // A slot file that cannot be opened counts as taken: fewer jobs run, none runs twice.
            if let lock = try? FileLock.tryAcquire(layout.slot(index)) { return .slot(lock) }
        }
        return nil
    }

    /// Slots taken right now (for `stats`).
    public func inUse() -> Int {
        guard maxRunning > 0 else { return 0 }
        return (0..<maxRunning).filter { FileLock.isHeld(layout.slot($0)) }.count
    }
}
