/// When `screen` answers (DESIGN.md, "Terminals"): once a running job's output has been
/// quiet for `quiet`, at once when the job has ended (or is unknown), and at the deadline
/// at the latest. A value: it is told what was observed and says whether to answer or
/// until when to wait; the caller does the watching.
public struct SettleRule: Sendable {
    public enum Next: Sendable, Equatable {
        case answer
        /// Wait for news (a write, the job's end) until this instant at the latest.
        case wait(until: ContinuousClock.Instant)
    }

    public let quiet: Duration
    public let deadline: ContinuousClock.Instant
    private var size: Int64
    private var quietSince: ContinuousClock.Instant

    public init(quiet: Duration, deadline: ContinuousClock.Instant, size: Int64, now: ContinuousClock.Instant) {
        self.quiet = quiet
        self.deadline = deadline
        self.size = size
        quietSince = now
    }

    /// What to do, given the job's state (nil: unknown) and its output size `now`.
    public mutating func observe(state: JobState?, size: Int64, now: ContinuousClock.Instant) -> Next {
        if size != self.size {
            self.size = size
            quietSince = now
        }
        guard let state, !state.isFinal else { return .answer }
        if now >= deadline { return .answer }
        // Quiet counts only once the job runs: a queued job has no terminal yet.
        guard state == .running else { return .wait(until: deadline) }
        let quietEnds = quietSince + quiet
        return now >= quietEnds ? .answer : .wait(until: min(deadline, quietEnds))
    }
}
