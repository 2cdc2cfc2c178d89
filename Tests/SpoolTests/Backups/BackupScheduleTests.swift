import Spool
import Testing

/// `BackupSchedule`: when idle backups are due. Instants are passed in, so no test sleeps.
@Suite("Backup schedule")
struct BackupScheduleTests {
    typealias Schedule = BackupSchedule<ContinuousClock>
    let t0 = ContinuousClock.now

    @Test("a clean tree is never due; a change is due once the tree has been idle")
    func idle() {
        var schedule = Schedule(idle: .seconds(120))
        #expect(schedule.nextWake == nil)
        let due1 = schedule.due(at: t0 + .seconds(1000))
        #expect(!due1)
        schedule.changed(at: t0)
        schedule.changed(at: t0 + .seconds(60)) // each change restarts the idle period
        #expect(schedule.nextWake == t0 + .seconds(180))
        let due2 = schedule.due(at: t0 + .seconds(179))
        #expect(!due2)
        let due3 = schedule.due(at: t0 + .seconds(180))
        #expect(due3)
        #expect(schedule.nextWake == nil) // running: not due twice
        schedule.snapshotFinished(.taken, at: t0 + .seconds(181))
        #expect(schedule.state == .clean)
    }

    @Test("changes while a snapshot runs keep the tree dirty for the next one")
    func changedWhileRunning() {
        var schedule = Schedule(idle: .seconds(10))
        schedule.changed(at: t0)
        let due4 = schedule.due(at: t0 + .seconds(10))
        #expect(due4)
        schedule.changed(at: t0 + .seconds(11))
        schedule.snapshotFinished(.taken, at: t0 + .seconds(12))
        #expect(schedule.state == .dirty(lastChange: t0 + .seconds(11)))
        #expect(schedule.nextWake == t0 + .seconds(21))
    }

    @Test("a skipped snapshot (index.lock, rebase) is tried again after another idle period")
    func retry() {
        var schedule = Schedule(idle: .seconds(10))
        schedule.changed(at: t0)
        let due5 = schedule.due(at: t0 + .seconds(10))
        #expect(due5)
        schedule.snapshotFinished(.retryLater, at: t0 + .seconds(12))
        #expect(schedule.nextWake == t0 + .seconds(22))
    }

    @Test("a snapshot before a job covers the changes made before it")
    func beforeJob() {
        var schedule = Schedule(idle: .seconds(10))
        schedule.changed(at: t0)
        schedule.snapshotStarted(at: t0 + .seconds(2))
        #expect(schedule.nextWake == nil)
        schedule.snapshotFinished(.taken, at: t0 + .seconds(3))
        #expect(schedule.state == .clean)
    }
}
