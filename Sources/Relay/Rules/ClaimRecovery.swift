/// What a receiving relay does, after a restart, with a claim PostgreSQL says its host
/// holds: whose spool made the claim, then whether any of it reached the local spool,
/// decides.
enum ClaimRecovery {
    enum LocalTrace: Sendable, Equatable {
        /// No claim record, request or status: it provably never started.
        case none
        /// The claim record is there (under this token or another).
        case claimed(token: Int64)
    }

    enum Fate: Sendable, Equatable {
        /// Give it back: it waits again for any host.
        case release
        /// Follow it again: stream what it printed and report its end.
        case resume
        /// The local files belong to another claim of the job, or the claim to another spool:
        /// leave it to its lease.
        case ignore
    }

    /// - Parameter ownSpool: the claim was made by this spool's relay (its id in
    ///   `spool/host.json`). Only then does a missing local trace prove that the job never
    ///   started: a claim of another spool serving the same name may be running there.
    static func fate(token: Int64, local: LocalTrace, ownSpool: Bool) -> Fate {
        guard ownSpool else { return .ignore }
        return switch local {
        case .none: .release
        case .claimed(let held) where held == token: .resume
        case .claimed: .ignore
        }
    }
}
