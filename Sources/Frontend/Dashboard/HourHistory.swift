import Spool

/// The dashboard's charts (DESIGN.md, "Dashboard": throughput and waits over the last
/// hour), from the event journal: per minute, the jobs that finished (and how many of
/// them did not succeed) and the mean wait of the jobs that started, from creation (the
/// job id's time) to their `started` event. A value: events go in as they are read, and a
/// window of the last hour comes out for a given clock reading; it keeps at most an hour's
/// minutes, whatever the journal holds.
struct HourHistory: Sendable, Equatable {
    struct Minute: Codable, Sendable, Equatable {
        /// The minute's start.
        var time: Timestamp
        var finished: Int = 0
        var failed: Int = 0
        var started: Int = 0
        /// Mean seconds from creation to start of the jobs started in this minute.
        var meanWait: Double?
    }

    /// What `/api/history` returns.
    struct Window: Codable, Sendable, Equatable {
        var minutes: [Minute]
    }

    private struct Tally: Sendable, Equatable {
        var finished = 0, failed = 0, started = 0
        var waits: Double = 0
    }

    static let span: Int64 = 60
    private static let minute: Int64 = 60_000_000_000
    /// Minute number (since the epoch) → its counts.
    private var tallies: [Int64: Tally] = [:]

    init() {}

    /// Counts `events`; those older than the window at `now` are left out, and minutes that
    /// have left it are dropped.
    mutating func record(_ events: some Sequence<SpoolEvent>, now: Timestamp) {
        let first = now.nanoseconds / Self.minute - Self.span + 1
        for event in events {
            let index = event.time.nanoseconds / Self.minute
            guard index >= first else { continue }
            switch event.type {
            case .finished:
                tallies[index, default: Tally()].finished += 1
                if event.state != .succeeded { tallies[index, default: Tally()].failed += 1 }
            case .cancelled:
                // A running job's cancel also ends it; one that was only queued never ran.
                if event.worker != nil {
                    tallies[index, default: Tally()].finished += 1
                    tallies[index, default: Tally()].failed += 1
                }
            case .started:
                guard let job = event.job else { continue }
                tallies[index, default: Tally()].started += 1
                tallies[index, default: Tally()].waits += max(0, Double(event.time.nanoseconds - job.createdAt.nanoseconds) / 1e9)
            default:
                continue
            }
        }
        tallies = tallies.filter { $0.key >= first }
    }

    /// The last hour at `now`, oldest minute first; 60 minutes, empty ones included.
    func window(now: Timestamp) -> Window {
        let last = now.nanoseconds / Self.minute
        return Window(minutes: ((last - Self.span + 1)...last).map { index in
            let tally = tallies[index] ?? Tally()
            return Minute(time: Timestamp(nanoseconds: index * Self.minute), finished: tally.finished, failed: tally.failed,
                          started: tally.started, meanWait: tally.started > 0 ? tally.waits / Double(tally.started) : nil)
        })
    }
}
