import Spool

/// The dashboard's charts (DESIGN.md, "Dashboard": throughput and waits over the last
/// hour), from the event journal: per minute, the jobs that finished (and how many of
/// them did not succeed) and the mean wait of the jobs that started, from creation (the
/// job id's time) to their `started` event. A value, computed from events and a clock.
struct HourHistory: Codable, Sendable, Equatable {
    struct Minute: Codable, Sendable, Equatable {
        /// The minute's start.
        var time: Timestamp
        var finished: Int = 0
        var failed: Int = 0
        var started: Int = 0
        /// Mean seconds from creation to start of the jobs started in this minute.
        var meanWait: Double?
    }

    var minutes: [Minute]

    static let span = 60

    init(events: some Sequence<SpoolEvent>, now: Timestamp) {
        let minute: Int64 = 60_000_000_000
        let last = now.nanoseconds / minute
        let first = last - Int64(Self.span) + 1
        var minutes = (0..<Self.span).map { Minute(time: Timestamp(nanoseconds: (first + Int64($0)) * minute)) }
        var waits = [Double](repeating: 0, count: Self.span)
        for event in events {
            let index = Int(event.time.nanoseconds / minute - first)
            guard (0..<Self.span).contains(index) else { continue }
            switch event.type {
            case .finished:
                minutes[index].finished += 1
                if event.state != .succeeded { minutes[index].failed += 1 }
            case .cancelled:
                // A running job's cancel also ends it; one that was only queued never ran.
                if event.worker != nil { minutes[index].finished += 1; minutes[index].failed += 1 }
            case .started:
                guard let job = event.job else { continue }
                minutes[index].started += 1
                waits[index] += max(0, Double(event.time.nanoseconds - job.createdAt.nanoseconds) / 1e9)
            default:
                continue
            }
        }
        for index in minutes.indices where minutes[index].started > 0 {
            minutes[index].meanWait = waits[index] / Double(minutes[index].started)
        }
        self.minutes = minutes
    }
}
