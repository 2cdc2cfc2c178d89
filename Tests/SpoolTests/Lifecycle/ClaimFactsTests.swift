import Spool
import Testing

@Suite("Admission of a claimed request")
struct ClaimFactsTests {
    static let id = JobID.make()
    static let entry = QueueEntry(id: id, priority: .sync)

    func admission(regular: Bool = true, _ request: JobFacts.Record<JobRequest>, earlier: String? = nil) -> ClaimFacts.Admission {
        ClaimFacts(entry: Self.entry, isRegularFile: regular, request: request, earlierRecord: earlier).admission
    }

    @Test("only a regular, readable request named for its own job, with no earlier record, runs")
    func rules() {
        let good = JobRequest(job: Self.id, command: "true", priority: .async)
        var served = good
        served.priority = .sync // the folder decides
        #expect(admission(.present(good)) == .run(served))
        guard case .quarantine = admission(regular: false, .present(good)) else { Issue.record("a symlink ran"); return }
        guard case .quarantine = admission(.unreadable(.corruptFile(path: "x", reason: "torn"))) else { Issue.record("a torn file ran"); return }
        guard case .quarantine = admission(.absent) else { Issue.record("a vanished file ran"); return }
        guard case .quarantine = admission(.present(JobRequest(job: .make(), command: "true", priority: .sync))) else {
            Issue.record("a request named for another job ran"); return
        }
        guard case .quarantine(let reason) = admission(.present(good), earlier: "it has already finished") else {
            Issue.record("a duplicate ran"); return
        }
        #expect(reason.contains("duplicate of job \(Self.id)"))
        var empty = good
        empty.command = " "
        var emptyServed = empty
        emptyServed.priority = .sync
        #expect(admission(.present(empty)) == .reject(emptyServed, .emptyCommand))
        let session = JobRequest(job: Self.id, command: "", priority: .sync, session: SessionID(opening: Self.id), kind: .session)
        #expect(admission(.present(session)) == .openSession(session))
    }
}
