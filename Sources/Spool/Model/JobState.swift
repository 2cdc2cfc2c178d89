/// A job's lifecycle: queued → running → one of the final states.
public enum JobState: String, Codable, Sendable, CaseIterable {
    case queued
    case running
    case succeeded
    case failed
    case timedOut = "timed_out"
    case cancelled
    case lost

    public var isFinal: Bool {
        switch self {
        case .queued, .running: false
        default: true
        }
    }

    /// True when an agent should treat the outcome as an error (`isError` in MCP results).
    public var isFailure: Bool {
        switch self {
        case .failed, .timedOut, .cancelled, .lost: true
        default: false
        }
    }
}
