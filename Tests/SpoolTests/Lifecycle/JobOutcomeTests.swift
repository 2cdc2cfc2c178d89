import Spool
import Testing

@Suite("Job outcomes and final records")
struct JobOutcomeTests {
    static func exit(code: Int32? = nil, signal: Int32? = nil, timedOut: Bool = false, cancelled: Bool = false, failure: String? = nil) -> SupervisorExit {
        var exit = SupervisorExit(pid: 10, exitCode: code, signal: signal, timedOut: timedOut, cancelled: cancelled,
                                  startedAtNs: 1_000_000_000, finishedAtNs: 3_000_000_000)
        exit.failure = failure
        return exit
    }

    @Test("an exit record means one outcome, with the state the supervisor's own rule gives", arguments: [
        (exit(code: 0), JobOutcome.exited(code: 0), JobState.succeeded),
        (exit(code: 2), .exited(code: 2), .failed),
        (exit(signal: 9), .signalled(9), .failed),
        (exit(signal: 15, timedOut: true), .timedOut(code: nil, signal: 15), .timedOut),
        (exit(code: 0, cancelled: true), .cancelled(code: 0, signal: nil, started: true), .cancelled),
        (exit(code: 0, failure: "cannot watch"), .failed(reason: "cannot watch", code: 0, signal: nil), .failed),
    ])
    func fromExit(exit: SupervisorExit, outcome: JobOutcome, state: JobState) {
        #expect(JobOutcome(exit) == outcome)
        #expect(outcome.state == state)
        #expect(exit.state == state)
    }

    @Test("an exit record with neither code nor signal is a failure, never a success")
    func neither() {
        #expect(JobOutcome(Self.exit()).state == .failed)
    }

    static let job = JobID.make()
    static let worker = WorkerName("w1")!

    @Test("a final record keeps the start of the running one and says why it ended")
    func finalStatus() {
        var running = JobStatus(job: Self.job, state: .running, priority: .async, worker: Self.worker, pid: 10,
                                createdAt: Self.job.createdAt, startedAt: Timestamp(nanoseconds: 1_000_000_000))
        running.keeperPid = 11
        let origin = JobOrigin(job: Self.job, priority: .async, timeout: 2)
        let timedOut = JobLifecycle.finalStatus(origin, worker: Self.worker, previous: running,
            ending: JobEnding(Self.exit(signal: 15, timedOut: true)), stdoutBytes: 4, stderrBytes: 0)
        #expect(timedOut.state == .timedOut)
        #expect(timedOut.signal == 15)
        #expect(timedOut.reason == "timed out after 2.0 s; the process group was terminated")
        #expect(timedOut.keeperPid == 11)
        #expect(timedOut.stdoutBytes == 4)
        #expect(timedOut.finishedAt == Timestamp(nanoseconds: 3_000_000_000))

        let lost = JobLifecycle.finalStatus(origin, worker: Self.worker, previous: running,
            ending: JobEnding(outcome: .lost(reason: "gone"), finishedAt: .now), stdoutBytes: 0, stderrBytes: 0)
        #expect(lost.state == .lost)
        #expect(lost.startedAt == running.startedAt)
        #expect(lost.reason == "gone")

        let rejected = JobLifecycle.finalStatus(origin, worker: Self.worker, previous: running,
            ending: JobEnding(outcome: .rejected(reason: "the command is empty"), finishedAt: .now), stdoutBytes: 9, stderrBytes: 9)
        #expect(rejected.state == .failed)
        #expect(rejected.pid == nil) // never started: the running record's details do not apply
        #expect(rejected.stdoutBytes == 0)

        let cancelled = JobLifecycle.finalStatus(JobOrigin(job: Self.job, priority: .sync), worker: nil, previous: nil,
            ending: JobEnding(outcome: .cancelled(code: nil, signal: nil, started: false), finishedAt: .now), stdoutBytes: 0, stderrBytes: 0)
        #expect(cancelled.state == .cancelled)
        #expect(cancelled.reason == "cancelled before it started")
        #expect(cancelled.startedAt == nil)
    }

    @Test("dropped output is recorded and marks the record truncated")
    func dropped() {
        var exit = Self.exit(code: 0)
        exit.stdoutDropped = 100
        let status = JobLifecycle.finalStatus(JobOrigin(job: Self.job, priority: .async), worker: Self.worker, previous: nil,
                                              ending: JobEnding(exit), stdoutBytes: 10, stderrBytes: 0)
        #expect(status.truncated == true)
        #expect(status.stdoutDropped == 100)
    }
}
