import Spool
import Testing
@testable import Relay

@Suite struct MirrorRuleTests {
    let id = JobID("01JCDEFGHJKMNPQRSTVWXYZ012")!

    func row(_ state: RemoteState, token: Int64 = 7, stdout: Int64 = 0, stderr: Int64 = 0, status: JobStatus? = nil,
             host: String? = "b", reason: String? = nil) -> RemoteJob {
        RemoteJob(id: id, state: state, token: token, host: host, status: status, reason: reason, stdoutBytes: stdout, stderrBytes: stderr)
    }

    let now = ContinuousClock.now

    @Test func aNewClaimStartsTheOutputOverAndIsShownOnceItHasLastedTheDelay() {
        let actions = MirrorRule.actions(Mirror(), row(.claimed), now: now)
        #expect(actions == [.startOver(token: 7), .showAt(now + MirrorRule.showDelay)])
        var mirror = Mirror(token: 7, showDue: now + MirrorRule.showDelay)
        #expect(MirrorRule.actions(mirror, row(.running), now: now + .milliseconds(5)) == [.showAt(now + MirrorRule.showDelay)],
                "the first due time holds")
        mirror.showDue = now + MirrorRule.showDelay
        #expect(MirrorRule.actions(mirror, row(.running), now: now + MirrorRule.showDelay) == [.show(.running, host: "b", status: nil, reason: nil)])
    }

    @Test func aShortJobIsFiledWithoutEverShowingItsClaim() {
        let final = JobStatus(job: id, state: .succeeded, priority: .sync, createdAt: id.createdAt, stdoutBytes: 0, stderrBytes: 0)
        let mirror = Mirror(token: 7, showDue: now + MirrorRule.showDelay)
        #expect(MirrorRule.actions(mirror, row(.finished, status: final), now: now + .milliseconds(3)) == [.finish(final)])
    }

    @Test func aSecondHostIsShownAtOnce() {
        let mirror = Mirror(token: 7, stdoutBytes: 0, shown: .running, host: "b")
        #expect(MirrorRule.actions(mirror, row(.claimed, token: 9, host: "c"), now: now) == [.startOver(token: 9), .show(.claimed, host: "c", status: nil, reason: nil)])
    }

    @Test func outputIsFetchedFromWhatIsHereBeforeTheEnd() {
        let final = JobStatus(job: id, state: .succeeded, priority: .sync, createdAt: id.createdAt, stdoutBytes: 10, stderrBytes: 0)
        let mirror = Mirror(token: 7, stdoutBytes: 4, shown: .running, host: "b")
        let actions = MirrorRule.actions(mirror, row(.finished, stdout: 10, status: final))
        #expect(actions == [.fetch(.stdout, from: 4), .finish(final)])
    }

    @Test func aRetryOnAnotherHostEmptiesTheFirstAttemptsOutput() {
        let mirror = Mirror(token: 7, stdoutBytes: 100, shown: .running, host: "b")
        let actions = MirrorRule.actions(mirror, row(.running, token: 9, stdout: 3, host: "c"), now: now)
        #expect(actions == [.startOver(token: 9), .fetch(.stdout, from: 0), .show(.running, host: "c", status: nil, reason: nil)])
    }

    @Test func aLostHostEndsTheJobWithTheReasonAndFetchesNothingMore() {
        let mirror = Mirror(token: 7, stdoutBytes: 4, shown: .running, host: "b")
        let actions = MirrorRule.actions(mirror, row(.lost, token: 8, stdout: 9, reason: "host b stopped renewing"))
        #expect(actions == [.lose(reason: "host b stopped renewing")])
    }

    @Test func requeuedAfterALostLeaseShowsQueuedAgain() {
        let mirror = Mirror(token: 7, stdoutBytes: 4, shown: .running, host: "b")
        #expect(MirrorRule.actions(mirror, row(.queued, token: 8, host: nil, reason: "retry")) == [.show(.queued, host: nil, status: nil, reason: "retry")])
    }

    @Test func cancelledBeforeAnyClaim() {
        #expect(MirrorRule.actions(Mirror(), row(.cancelled, host: nil)) == [.cancelBeforeStart])
    }

    @Test func nothingToDoWhenInStep() {
        #expect(MirrorRule.actions(Mirror(token: 7, stdoutBytes: 5, shown: .running, host: "b"), row(.running, stdout: 5)).isEmpty)
    }

    @Test func theOriginRecordNamesTheHostAndDropsForeignPids() {
        var status = JobStatus(job: id, state: .succeeded, priority: .sync, createdAt: id.createdAt)
        status.keeperPid = 42
        status.supervisorPid = 43
        let record = MirrorRule.originRecord(status, host: "b", token: 7)
        #expect(record.remote == true && record.host == "b" && record.attempt == 7)
        #expect(record.keeperPid == nil && record.supervisorPid == nil)
    }
}
