import Spool
import Testing

/// When a command nobody keeps any more gets TERM and KILL: from its cancel or its
/// timeout, whichever came first, with KILL once the grace period has passed too.
@Suite("Orphaned job's cancel and timeout")
struct OrphanGroupTests {
    static let start = Timestamp(nanoseconds: 1_000_000_000_000)
    static func at(_ seconds: Double) -> Timestamp { Timestamp(nanoseconds: start.nanoseconds + Int64(seconds * 1e9)) }
    static func rule(timeout: Double?) -> OrphanGroup {
        let job = JobID.make()
        let status = JobStatus(job: job, state: .running, priority: .async, pid: 4242, createdAt: job.createdAt, startedAt: start)
        return OrphanGroup(status: status, timeout: timeout, grace: 5)
    }

    @Test("no cancel and no timeout: nothing")
    func nothing() {
        #expect(Self.rule(timeout: nil).signal(cancelRequestedAt: nil, now: Self.at(1_000)) == .none)
        #expect(Self.rule(timeout: 0).signal(cancelRequestedAt: nil, now: Self.at(1_000)) == .none)
    }

    @Test("a timeout: nothing before it, TERM from it, KILL after the grace period")
    func timeout() {
        let rule = Self.rule(timeout: 10)
        #expect(rule.signal(cancelRequestedAt: nil, now: Self.at(9.9)) == .none)
        #expect(rule.signal(cancelRequestedAt: nil, now: Self.at(10)) == .terminate)
        #expect(rule.signal(cancelRequestedAt: nil, now: Self.at(14.9)) == .terminate)
        #expect(rule.signal(cancelRequestedAt: nil, now: Self.at(15)) == .kill)
    }

    @Test("a cancel: TERM at once, KILL after the grace period; an earlier timeout counts from its own time")
    func cancel() {
        #expect(Self.rule(timeout: nil).signal(cancelRequestedAt: Self.at(2), now: Self.at(2)) == .terminate)
        #expect(Self.rule(timeout: nil).signal(cancelRequestedAt: Self.at(2), now: Self.at(7)) == .kill)
        #expect(Self.rule(timeout: 1).signal(cancelRequestedAt: Self.at(4), now: Self.at(6)) == .kill)
        #expect(Self.rule(timeout: 100).signal(cancelRequestedAt: Self.at(4), now: Self.at(6)) == .terminate)
    }
}
