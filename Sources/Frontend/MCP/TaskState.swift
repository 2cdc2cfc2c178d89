import Spool

/// The tasks extension's status for a job (README, "Tasks"). Pure.
///
/// | job                                   | task        |
/// |---------------------------------------|-------------|
/// | queued, running                       | working     |
/// | succeeded, failed (an exit code or a signal), timed_out | completed (`isError` for all but succeeded) |
/// | cancelled                             | cancelled   |
/// | lost, or failed without ever running  | failed      |
enum TaskState: String, Sendable, Equatable {
    case working
    case completed
    case failed
    case cancelled

    init(_ status: JobStatus) {
        switch status.state {
        case .queued, .running: self = .working
        case .succeeded, .timedOut: self = .completed
        case .failed:
            // An exit code or a signal means the command ran and ended: its result is the
            // answer. A failure without either means it could not be run at all.
            self = status.exitCode != nil || status.signal != nil ? .completed : .failed
        case .cancelled: self = .cancelled
        case .lost: self = .failed
        }
    }

    var isTerminal: Bool { self != .working }
}
