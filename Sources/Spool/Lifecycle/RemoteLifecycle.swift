/// Where a relayed job stands in PostgreSQL (`spool_job.state`, DESIGN.md "Many hosts").
public enum RemoteState: String, Sendable, Equatable, CaseIterable {
    case queued, claimed, running, finished, lost, cancelled

    public var isFinal: Bool { self == .finished || self == .lost || self == .cancelled }
    /// A worker host holds the job under a claim (a token and a lease).
    public var isClaimed: Bool { self == .claimed || self == .running }
}

/// What can happen to a relayed job's row. Every write from a worker host names the claim's
/// token, so such events also need the token to be current (fencing); that is the SQL's
/// `token = $n`, not a state.
public enum RemoteEvent: String, Sendable, Equatable, CaseIterable {
    /// A worker host takes a waiting job (a new token and lease; one more attempt).
    case claim
    /// Its relay gives back a claim that provably never started (a new token; the attempt
    /// does not count).
    case release
    /// The worker host's status says running.
    case reportRunning
    /// A chunk of output.
    case reportOutput
    /// The worker host's final status.
    case reportFinished
    /// The worker host's relay extends its lease.
    case renew
    /// The lease ran out: the host is gone as far as anyone can tell (a new token, so its
    /// late writes are fenced).
    case expire
    /// The origin cancels it: a waiting job ends here; a claimed one is asked to stop, and
    /// its host reports how it ended.
    case cancel
}

/// A change a `RemoteEvent` makes to a row.
public struct RemoteTransition: Sendable, Equatable {
    public var to: RemoteState
    /// The row gets a new token: whoever wrote under the old one is fenced from now on.
    public var newToken: Bool

    public init(to: RemoteState, newToken: Bool = false) {
        self.to = to
        self.newToken = newToken
    }
}

/// The relayed job's lifecycle: one table, decided here and carried out by the SQL in
/// `RelayDatabase+Transitions.swift` (Sources/Relay), whose `state` conditions and
/// assignments are built from it; a test runs every (state, event) pair against
/// PostgreSQL and compares.
public enum RemoteLifecycle {
    /// What `event` does to a job in `state`; nil when it does not apply (the statement
    /// matches no row, and the caller learns that it was too late, or fenced).
    /// - Parameter retriesLeft: for `expire`, whether the job may be claimed again
    ///   (`attempts <= retries`; always for a row that opens a session, which opens again
    ///   on another host from its saved state).
    public static func transition(_ state: RemoteState, on event: RemoteEvent, retriesLeft: Bool = false) -> RemoteTransition? {
        switch (state, event) {
        case (.queued, .claim): RemoteTransition(to: .claimed, newToken: true)
        case (.claimed, .release): RemoteTransition(to: .queued, newToken: true)
        case (.claimed, .reportRunning), (.running, .reportRunning): RemoteTransition(to: .running)
        case (.claimed, .reportOutput), (.running, .reportOutput): RemoteTransition(to: state)
        case (.claimed, .reportFinished), (.running, .reportFinished): RemoteTransition(to: .finished)
        case (.claimed, .renew), (.running, .renew): RemoteTransition(to: state)
        case (.claimed, .expire), (.running, .expire): RemoteTransition(to: retriesLeft ? .queued : .lost, newToken: true)
        // Nothing of it ran; the new token is for the record (no host holds the old one).
        case (.queued, .cancel): RemoteTransition(to: .cancelled, newToken: true)
        // A stop request goes to its host, which reports how it ended.
        case (.claimed, .cancel), (.running, .cancel): RemoteTransition(to: state)
        default: nil
        }
    }

    /// The states in which `event` applies, in declaration order.
    public static func states(accepting event: RemoteEvent) -> [RemoteState] {
        RemoteState.allCases.filter { state in
            transition(state, on: event, retriesLeft: false) != nil || transition(state, on: event, retriesLeft: true) != nil
        }
    }
}
