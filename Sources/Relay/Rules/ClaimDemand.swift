import Spool

/// When a receiving relay asks PostgreSQL for work. Every row that starts waiting is
/// announced (`spool_queue`, with its id); a claim that got fewer rows than it asked for
/// found the queue empty for this host, so everything announced before it began is taken
/// (by this host or another). So a slot that frees asks only while announced rows may still
/// wait, or after a look that could not tell (a gap in the notifications, an error): a
/// host that runs one job at a time no longer asks once more, in vain, after every job.
struct ClaimDemand: Sendable, Equatable {
    /// Announced rows not known to be taken.
    private(set) var announced: Set<JobID> = []
    /// Rows may wait that no announcement names (at the start, after a gap, after an error).
    private(set) var unsure = true
    /// Past this many unresolved announcements (rows other hosts took) they are dropped for `unsure`.
    static let limit = 100_000

    mutating func announce(_ id: JobID) {
        announced.insert(id)
        if announced.count > Self.limit {
            announced.removeAll()
            unsure = true
        }
    }

    /// Whether to claim now.
    /// - Parameters:
    ///   - everything: the slow poll or a gap: look whatever is known.
    ///   - announcedNow: a row was announced since the last look (or work was added here).
    ///   - slotFreed: a held job ended.
    func shouldClaim(everything: Bool, announcedNow: Bool, slotFreed: Bool) -> Bool {
        everything || announcedNow || (slotFreed && (unsure || !announced.isEmpty))
    }

    /// A claim that began knowing `known` announcements asked for `asked` rows and got
    /// `claimed`. `afterGap`: it was the look after a gap or the poll.
    mutating func claimed(_ claimed: [JobID], asked: Int, known: Set<JobID>, afterGap: Bool) {
        if claimed.count < asked {
            announced.subtract(known)
            announced.subtract(claimed)
            unsure = false
        } else {
            announced.subtract(claimed)
            if afterGap { unsure = true }
        }
    }

    /// The claim failed: what waits is unknown.
    mutating func failed() { unsure = true }
}
