@testable import Frontend
import Foundation
import Spool
import Testing

/// `JobService.promiseOutcome`: the half of the promise a `run` keeps when it hands out
/// its job's id (the worker keeps the other half, `OutcomePromiseTests`).
@Suite("Promising a run's outcome")
struct OutcomePromiseServiceTests {
    func service() throws -> (JobService, String) {
        var template = Array((NSTemporaryDirectory() + "promise-XXXXXX").utf8CString)
        let root = String(cString: try #require(mkdtemp(&template)))
        let layout = SpoolLayout(root: root)
        try layout.create()
        return (JobService(layout: layout, order: QueueOrder(), watcher: try SpoolWatcher.shared()), root)
    }

    @Test("a job still queued or running: the mark is made (its worker flushes the end), nothing is flushed here")
    func notYetFiled() async throws {
        let (service, root) = try service()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let id = JobID.make()
        try await service.promiseOutcome(id)
        #expect(FileSystem.exists(service.layout.job(id, .promised)))
        #expect(service.committer.filesFlushed == 0)
    }

    @Test("a job filed before the mark (its worker saw none): its final record is flushed here")
    func filedBefore() async throws {
        let (service, root) = try service()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let id = JobID.make()
        try FileSystem.makeDirectory(service.layout.job(id))
        try JobRecords(layout: service.layout).writeStatus(JobStatus(job: id, state: .succeeded, priority: .sync, createdAt: id.createdAt), durable: false)
        try AtomicFile.write(Array("{}".utf8), to: service.layout.done(id), layout: service.layout, durable: false)
        try await service.promiseOutcome(id)
        #expect(service.committer.filesFlushed == 1)
    }
}
