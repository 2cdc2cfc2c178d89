import Spool
import Testing

/// `SettleRule` with instants made by arithmetic: no clock runs, nothing sleeps.
@Suite("screen's settle rule")
struct SettleRuleTests {
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test("a running job answers after `quiet` without output; each write starts the quiet again")
    func quiet() {
        var rule = SettleRule(quiet: .milliseconds(300), deadline: at(10_000), size: 0, now: at(0))
        #expect(rule.observe(state: .running, size: 0, now: at(0)) == .wait(until: at(300)))
        #expect(rule.observe(state: .running, size: 10, now: at(200)) == .wait(until: at(500)))
        #expect(rule.observe(state: .running, size: 10, now: at(400)) == .wait(until: at(500)))
        #expect(rule.observe(state: .running, size: 10, now: at(500)) == .answer)
    }

    @Test("the deadline ends any wait, and the wait never runs past it")
    func deadline() {
        var rule = SettleRule(quiet: .milliseconds(300), deadline: at(1_000), size: 0, now: at(0))
        #expect(rule.observe(state: .running, size: 1, now: at(900)) == .wait(until: at(1_000)))
        #expect(rule.observe(state: .running, size: 2, now: at(1_000)) == .answer)
    }

    @Test("an ended or unknown job answers at once; a queued one waits for its start up to the deadline")
    func states() {
        var rule = SettleRule(quiet: .milliseconds(300), deadline: at(5_000), size: 0, now: at(0))
        #expect(rule.observe(state: .queued, size: 0, now: at(1_000)) == .wait(until: at(5_000)))
        #expect(rule.observe(state: .succeeded, size: 0, now: at(1_001)) == .answer)
        #expect(rule.observe(state: nil, size: 0, now: at(1_001)) == .answer)
        #expect(rule.observe(state: .lost, size: 0, now: at(1_001)) == .answer)
    }

    @Test("settle 0 answers at once while the job runs")
    func zero() {
        var rule = SettleRule(quiet: .zero, deadline: at(5_000), size: 7, now: at(0))
        #expect(rule.observe(state: .running, size: 7, now: at(0)) == .answer)
    }
}
