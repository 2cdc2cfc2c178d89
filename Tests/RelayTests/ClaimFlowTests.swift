@testable import Relay
import Spool
import Testing

/// The receiving relay's rules for one claim, as arithmetic on instants: no clock runs,
/// no database, no files.
@Suite("a claim's flow back to PostgreSQL")
struct ClaimFlowTests {
    let start = ContinuousClock.now
    let job = JobID.make()

    func status(_ state: JobState, exitCode: Int32? = nil) -> JobStatus {
        var status = JobStatus(job: job, state: state, priority: .async, createdAt: job.createdAt)
        status.exitCode = exitCode
        return status
    }

    func facts(_ state: JobState?, ended: Bool = false, stdout: Int64 = 0, stderr: Int64 = 0) -> ClaimFlow.Facts {
        ClaimFlow.Facts(status: state.map { status($0, exitCode: $0 == .succeeded ? 0 : nil) }, ended: ended, stdoutBytes: stdout, stderrBytes: stderr)
    }

    /// Carries out every step as planned.
    func carryOut(_ steps: [ClaimFlow.Step], on flow: inout ClaimFlow) {
        for step in steps { flow.completed(step) }
    }

    @Test("a short job is reported once, ended: its running status waits out the delay and is never sent")
    func shortJob() throws {
        var flow = ClaimFlow(token: 7, pipe: false)
        #expect(flow.observe(facts(.queued), host: "b", now: start).isEmpty)
        #expect(flow.observe(facts(.running), host: "b", now: start + .milliseconds(1)).isEmpty)
        #expect(flow.due == start + .milliseconds(1) + OutputBatch.delay)
        let steps = flow.observe(facts(.succeeded, ended: true, stdout: 3), host: "b", now: start + .milliseconds(5))
        #expect(steps.count == 2)
        #expect(steps.first == .send(.stdout, from: 0, to: 3))
        guard case .reportFinished(let record, _) = steps.last else { Issue.record("no end: \(steps)"); return }
        #expect(record.state == .succeeded && record.host == "b" && record.stdoutBytes == 3 && record.stderrBytes == 0)
        carryOut(steps, on: &flow)
        #expect(flow.finished)
        #expect(flow.observe(facts(.succeeded, ended: true, stdout: 3), host: "b", now: start + .seconds(1)).isEmpty, "nothing after the end")
    }

    @Test("a job still running after the delay is reported running once")
    func longJob() {
        var flow = ClaimFlow(token: 7, pipe: false)
        #expect(flow.observe(facts(.running), host: "b", now: start).isEmpty)
        let steps = flow.observe(facts(.running), host: "b", now: start + OutputBatch.delay)
        #expect(steps == [.reportRunning(status(.running))])
        carryOut(steps, on: &flow)
        #expect(flow.reportedRunning)
        #expect(flow.observe(facts(.running), host: "b", now: start + .seconds(1)).isEmpty)
        #expect(flow.due == nil)
    }

    @Test("a job that takes input is reported running at once, then its input is pumped")
    func pipeJob() {
        var flow = ClaimFlow(token: 7, pipe: true)
        #expect(flow.observe(facts(.running), host: "b", now: start) == [.reportRunning(status(.running)), .pumpInput])
    }

    @Test("output: a line waits up to the delay, a whole chunk or the end goes at once; both streams")
    func output() {
        var flow = ClaimFlow(token: 7, pipe: false, reportedRunning: true)
        #expect(flow.observe(facts(.running, stdout: 10), host: "b", now: start).isEmpty)
        #expect(flow.due == start + OutputBatch.delay)
        let late = flow.observe(facts(.running, stdout: 12, stderr: 4), host: "b", now: start + OutputBatch.delay)
        #expect(late == [.send(.stdout, from: 0, to: 12), .send(.stderr, from: 0, to: 4)])
        carryOut(late, on: &flow)
        #expect(flow.sent == [.stdout: 12, .stderr: 4])
        let chunk = Int64(OutputBatch.chunk)
        #expect(flow.observe(facts(.running, stdout: 12 + chunk), host: "b", now: start + .seconds(1)) == [.send(.stdout, from: 12, to: 12 + chunk)])
    }

    @Test("a send that reached less than planned is what counts: the next round plans from there, and the end waits for all of it")
    func shortSend() throws {
        var flow = ClaimFlow(token: 7, pipe: false, reportedRunning: true)
        let steps = flow.observe(facts(.succeeded, ended: true, stdout: 100), host: "b", now: start)
        #expect(steps.first == .send(.stdout, from: 0, to: 100))
        flow.completed(.send(.stdout, from: 0, to: 60)) // then the round ended
        let again = flow.observe(facts(.succeeded, ended: true, stdout: 100), host: "b", now: start + .milliseconds(1))
        #expect(again.first == .send(.stdout, from: 60, to: 100))
        guard case .reportFinished(let record, _) = again.last else { Issue.record("no end: \(again)"); return }
        #expect(record.stdoutBytes == 100)
    }

    @Test("after a restart: what PostgreSQL already has is not sent again")
    func resumed() {
        var flow = ClaimFlow(token: 7, pipe: false, sent: [.stdout: 50, .stderr: 0], reportedRunning: true)
        let steps = flow.observe(facts(.failed, ended: true, stdout: 80), host: "b", now: start)
        #expect(steps.first == .send(.stdout, from: 50, to: 80))
        #expect(steps.count == 2)
    }

    @Test("a session's command: its session's state is saved with its end, after its output; a job's end saves none")
    func sessionCommand() {
        var flow = ClaimFlow(token: 7, pipe: false, sessionCommand: true, reportedRunning: true)
        let steps = flow.observe(facts(.succeeded, ended: true, stdout: 4), host: "b", now: start)
        #expect(steps.count == 2)
        #expect(steps.first == .send(.stdout, from: 0, to: 4))
        guard case .reportFinished(_, savingSession: true) = steps.last else { Issue.record("no end saving the session: \(steps)"); return }
        var job = ClaimFlow(token: 8, pipe: false, reportedRunning: true)
        guard case .reportFinished(_, savingSession: false) = job.observe(facts(.succeeded, ended: true), host: "b", now: start).last else {
            Issue.record("a job's end"); return
        }
    }

    @Test("an ended job without a final status is not reported finished (the status is read again)")
    func endedWithoutFinalStatus() {
        var flow = ClaimFlow(token: 7, pipe: false, reportedRunning: true)
        #expect(flow.observe(facts(.running, ended: true), host: "b", now: start).isEmpty)
        #expect(flow.observe(facts(nil, ended: true), host: "b", now: start).isEmpty)
    }
}
