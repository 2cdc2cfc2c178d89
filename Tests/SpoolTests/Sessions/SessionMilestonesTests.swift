import Spool
import Testing

@Suite("SessionMilestones")
struct SessionMilestonesTests {
    static let id = SessionID.make()

    func record(_ state: SessionState, abandoned: Bool = false) -> SessionRecord {
        var record = SessionRecord(session: Self.id, state: state, cwd: nil, env: nil, shell: nil, createdAt: Self.id.createdAt)
        record.worker = WorkerName("w")
        record.readyAt = Timestamp(nanoseconds: 5)
        record.abandonedAt = abandoned ? Timestamp(nanoseconds: 9) : nil
        return record
    }

    @Test("ready once; abandoned once per idle spell; nothing while queued")
    func sequence() {
        var milestones = SessionMilestones()
        #expect(milestones.observe(record(.queued)).isEmpty)
        #expect(milestones.observe(record(.ready)) == [.ready(worker: WorkerName("w"), at: Timestamp(nanoseconds: 5))])
        #expect(milestones.observe(record(.ready)).isEmpty)
        #expect(milestones.observe(record(.ready, abandoned: true)).count == 1)
        #expect(milestones.observe(record(.ready, abandoned: true)).isEmpty)
        #expect(milestones.observe(record(.ready)).isEmpty) // used again
        #expect(milestones.observe(record(.ready, abandoned: true)).count == 1) // idle again: told again
    }

    @Test("what the journal already announced is not announced again")
    func restored() {
        var milestones = SessionMilestones()
        milestones.restore(.sessionReady)
        milestones.restore(.sessionAbandoned)
        #expect(milestones.observe(record(.ready, abandoned: true)).isEmpty)
    }
}
