import Spool
import Testing

/// The lifecycle rules for a job a sending relay handed to another host.
@Suite("Relayed job rules")
struct RemoteJobRulesTests {
    let job = JobID.make()
    let relay = WorkerName("relay-a")!

    func remote(_ state: JobState) -> JobStatus {
        var status = JobStatus(job: job, state: state, priority: .async, worker: relay, createdAt: job.createdAt)
        status.remote = true
        status.host = "b"
        return status
    }

    func facts(_ status: JobStatus, owner: JobFacts.Owner, lock: JobFacts.Lock = .heldByReader) -> JobFacts {
        JobFacts(job: job, place: .claimed(relay), status: .present(status), request: .present(JobRequest(job: job, command: "true", priority: .async)),
                 lock: lock, owner: owner, stdoutBytes: 3, stderrBytes: 4)
    }

    @Test("a dead relay's remote jobs are left for its next life, never lost or run here")
    func deadRelay() {
        for state in [JobState.queued, .running] {
            #expect(JobLifecycle.recovery(facts(remote(state), owner: .dead), worker: relay) == .leave(relay: false))
        }
    }

    @Test("a final remote status whose rename was missed is filed as usual")
    func finalIsFiled() {
        #expect(JobLifecycle.recovery(facts(remote(.succeeded), owner: .dead), worker: relay) == .file)
    }

    @Test("a job without the remote mark is recovered as before")
    func localRules() {
        var status = remote(.running)
        status.remote = nil
        var local = facts(status, owner: .dead)
        local.group = .gone
        if case .lose = JobLifecycle.recovery(local, worker: relay) {} else { Issue.record("expected lose") }
    }

    @Test("status reports the state the relay mirrors (queued on another host), with the local sizes")
    func report() throws {
        let report = try JobLifecycle.report(facts(remote(.queued), owner: .notProbed, lock: .notProbed))
        #expect(report.status.state == .queued)
        #expect(report.status.host == "b")
        #expect(report.status.stdoutBytes == 3 && report.status.stderrBytes == 4)
    }
}
