import Foundation
import Spool
import Testing

/// DESIGN.md, "Durability follows the promise": a `run` that answers with the outcome
/// promised only that answer, so its final record is left to the kernel's writeback unless
/// its job id was handed out after all (`jobs/<id>/promised`).
@Suite("Outcome promises")
struct OutcomePromiseTests {
    /// Files a claimed job as succeeded, then commits one unrelated flush and waits for it:
    /// rounds run in order, so once it is on disk every flush asked for before it is too.
    /// Returns how many files the committer flushed for the job.
    func filesFlushedFiling(_ promise: JobPromise?, marked: Bool) async throws -> Int {
        let spool = try ScratchSpool()
        let layout = spool.layout
        let worker = try #require(WorkerName("unit-1"))
        var request = JobRequest(command: "true", priority: .sync)
        request.promise = promise
        try spool.claim(request, by: worker)
        try FileSystem.makeDirectory(layout.job(request.job))
        if marked { try AtomicFile.write([], to: layout.job(request.job, .promised), layout: layout, durable: false) }
        let committer = GroupCommitter()
        let status = try JobTransitions(layout: layout, committer: committer)
            .finish(request.job, from: .claimed(worker), origin: JobOrigin(request), worker: worker,
                    ending: JobEnding(outcome: .exited(code: 0), finishedAt: .now))
        #expect(status.state == .succeeded)
        #expect(FileSystem.exists(layout.done(request.job)))
        let fence = try AtomicFile.writeDeferred(Array("fence\n".utf8), to: layout.root + "/fence", layout: layout)
        try await committer.commit(fence)
        return committer.filesFlushed - 1
    }

    @Test("a run's job whose outcome was its answer: the final record is not flushed")
    func replyOnly() async throws {
        #expect(try await filesFlushedFiling(.reply, marked: false) == 0)
    }

    @Test("a run's job whose id was handed out (marked promised), a start's, and an older request's: flushed when filed")
    func promised() async throws {
        #expect(try await filesFlushedFiling(.reply, marked: true) == 1)
        #expect(try await filesFlushedFiling(.jobID, marked: false) == 1)
        #expect(try await filesFlushedFiling(nil, marked: false) == 1)
    }

    @Test("a job run for another host's relay is always flushed: its promise is kept by that host's marker")
    func relayed() throws {
        var request = JobRequest(command: "true", priority: .sync)
        request.promise = .reply
        #expect(JobOrigin(request).promise == .reply)
        request.claim = HostClaim(token: 1, host: "a")
        #expect(JobOrigin(request).promise == .jobID)
    }

    @Test("the request keeps its promise through JSON; an unknown promise reads as the strongest")
    func coding() throws {
        var request = JobRequest(command: "true", priority: .sync)
        request.promise = .reply
        let decoded = try SpoolJSON.decode(JobRequest.self, from: SpoolJSON.encode(request), path: "request")
        #expect(decoded.promise == .reply)
        let text = String(decoding: try SpoolJSON.encode(request), as: UTF8.self).replacingOccurrences(of: "\"reply\"", with: "\"later\"")
        #expect(try SpoolJSON.decode(JobRequest.self, from: Array(text.utf8), path: "request").promise == nil)
    }
}
