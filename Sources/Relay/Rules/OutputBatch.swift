/// When a worker host's relay sends new output: at once when a whole chunk waits or the
/// job has ended, else once the first unsent byte is `delay` old. So a job that prints a
/// line at a time costs a row per 20 ms, not per line, and a 200 MB job goes out in
/// 64 KiB rows without being held in memory (the bytes are read from the file when sent).
struct OutputBatch: Sendable, Equatable {
    static let chunk = 64 << 10
    static let delay: Duration = .milliseconds(20)

    /// When unsent output was first seen (nil: nothing waits).
    var waitingSince: ContinuousClock.Instant?

    mutating func noteGrowth(at now: ContinuousClock.Instant) {
        if waitingSince == nil { waitingSince = now }
    }

    enum Decision: Sendable, Equatable {
        case sendNow
        case sendAt(ContinuousClock.Instant)
        case nothing
    }

    func decide(unsent: Int64, ended: Bool, now: ContinuousClock.Instant) -> Decision {
        guard unsent > 0 else { return .nothing }
        if ended || unsent >= Int64(Self.chunk) { return .sendNow }
        let since = waitingSince ?? now
        return now >= since + Self.delay ? .sendNow : .sendAt(since + Self.delay)
    }
}
