@testable import Frontend
import Spool
import Testing

@Suite("job state to task status")
struct TaskStateTests {
    static func status(_ state: JobState, exit: Int32? = nil, signal: Int32? = nil) -> JobStatus {
        var status = JobStatus(job: .make(), state: state, priority: .async, createdAt: .now)
        status.exitCode = exit
        status.signal = signal
        return status
    }

    @Test("every job state has its task status (README, Tasks)")
    func table() {
        #expect(TaskState(Self.status(.queued)) == .working)
        #expect(TaskState(Self.status(.running)) == .working)
        #expect(TaskState(Self.status(.succeeded, exit: 0)) == .completed)
        #expect(TaskState(Self.status(.failed, exit: 3)) == .completed, "a non-zero exit is a completed tool call with isError")
        #expect(TaskState(Self.status(.failed, signal: 9)) == .completed)
        #expect(TaskState(Self.status(.failed)) == .failed, "never ran")
        #expect(TaskState(Self.status(.timedOut, signal: 15)) == .completed)
        #expect(TaskState(Self.status(.cancelled, signal: 15)) == .cancelled)
        #expect(TaskState(Self.status(.lost)) == .failed)
        for state in JobState.allCases { #expect(TaskState(Self.status(state)).isTerminal == state.isFinal) }
    }
}
