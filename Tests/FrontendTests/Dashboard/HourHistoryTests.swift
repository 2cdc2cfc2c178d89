@testable import Frontend
import Spool
import Testing

@Suite("the dashboard's last hour, from events")
struct HourHistoryTests {
    /// An id made at `time` exactly (`JobID.make` never goes below an id this process made
    /// before, and other tests make ids too).
    static func id(at time: Timestamp) -> JobID {
        JobID(milliseconds: UInt64(time.nanoseconds / 1_000_000), randomHigh: 1, randomLow: 1)
    }

    @Test("per minute: finished and not succeeded, started and their mean wait; older events fall out")
    func buckets() throws {
        let now = Timestamp(nanoseconds: 1_800_000_000 * 1_000_000_000 + 30_000_000_000) // 30 s into a minute
        let minute: Int64 = 60_000_000_000
        func at(_ minutesAgo: Int64, _ seconds: Int64 = 0) -> Timestamp {
            Timestamp(nanoseconds: now.nanoseconds - minutesAgo * minute + seconds * 1_000_000_000 - 30_000_000_000)
        }
        let created = Self.id(at: at(2))
        func event(_ type: SpoolEventType, _ time: Timestamp, worker: String? = nil, state: JobState? = nil) -> SpoolEvent {
            var event = SpoolEvent(type: type, time: time, job: created, worker: worker.flatMap(WorkerName.init))
            event.state = state
            return event
        }
        let events = [
            event(.finished, at(0, 5), state: .succeeded),
            event(.finished, at(0, 6), state: .failed),
            event(.cancelled, at(1), worker: "w1", state: .cancelled),
            event(.cancelled, at(1), state: .cancelled), // never ran
            event(.started, at(1, 10)),
            event(.finished, at(61), state: .succeeded), // over an hour ago
        ]
        var recorded = HourHistory()
        recorded.record(events, now: now)
        let history = recorded.window(now: now)
        #expect(history.minutes.count == 60)
        let last = try #require(history.minutes.last)
        #expect(last.finished == 2 && last.failed == 1 && last.started == 0 && last.meanWait == nil)
        let before = history.minutes[58]
        #expect(before.finished == 1 && before.failed == 1 && before.started == 1)
        #expect(before.meanWait.map { abs($0 - 70) < 0.01 } == true, "\(String(describing: before.meanWait))")
        #expect(history.minutes.dropLast(2).allSatisfy { $0.finished == 0 && $0.started == 0 })
    }

    @Test("events go in as they come: a later batch adds to the same minute, and minutes leave the window as the clock moves")
    func incremental() throws {
        let minute: Int64 = 60_000_000_000
        let start = Timestamp(nanoseconds: 1_800_000_000 * 1_000_000_000)
        let job = Self.id(at: start)
        func finished(_ at: Timestamp) -> SpoolEvent {
            var event = SpoolEvent(type: .finished, time: at, job: job)
            event.state = .succeeded
            return event
        }
        var history = HourHistory()
        history.record([finished(start)], now: start)
        history.record([finished(Timestamp(nanoseconds: start.nanoseconds + 1_000_000_000))], now: start)
        #expect(history.window(now: start).minutes.last?.finished == 2)
        let later = Timestamp(nanoseconds: start.nanoseconds + 59 * minute)
        #expect(history.window(now: later).minutes.first?.finished == 2, "59 minutes on, the minute is the oldest of the hour")
        let past = Timestamp(nanoseconds: start.nanoseconds + 60 * minute)
        #expect(history.window(now: past).minutes.allSatisfy { $0.finished == 0 })
        history.record([finished(start)], now: past) // a late reader's old event is left out
        #expect(history.window(now: past).minutes.allSatisfy { $0.finished == 0 })
    }
}
