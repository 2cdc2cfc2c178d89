import Foundation
import Spool
import Testing

@Suite("JobInspector")
struct JobInspectorTests {
    @Test("all jobs newest first: the queue (kept or listed) merged with active/ and done/, without session openers; the count says how many")
    func newestFirst() throws {
        let spool = try ScratchSpool()
        let layout = spool.layout
        let queue = SpoolQueue(layout: layout)
        var expected: [JobID] = []
        // Made in turns, so the places interleave by age.
        let worker = try #require(WorkerName("w"))
        try FileSystem.makeDirectory(layout.active(worker: worker))
        for n in 0..<30 {
            let request = JobRequest(command: "true", priority: n % 2 == 0 ? .async : .sync)
            try queue.submit(request)
            switch n % 3 {
            case 0: _ = try queue.claim(QueueEntry(id: request.job, priority: request.priority), worker: worker)
            case 1:
                _ = try queue.claim(QueueEntry(id: request.job, priority: request.priority), worker: worker)
                try JobTransitions(layout: layout).fileFinished(request.job, from: .claimed(worker), durable: false)
            default: break
            }
            expected.append(request.job)
        }
        // A session's opener waits in the sync queue; it is listed by session_list, not here.
        try SessionStore(layout: layout).create(SessionRecord(session: .make(), state: .queued, cwd: nil, env: nil, shell: nil, createdAt: .now))
        let listed = JobInspector(layout: layout)
        let kept = JobInspector(layout: layout, kept: { QueueSnapshot(SpoolQueue(layout: layout).entries()) })
        for inspector in [listed, kept] {
            let all = inspector.newestFirst()
            #expect(all.count == 30)
            #expect(Array(all.map(\.id)) == expected.reversed())
            #expect(Array(inspector.newestFirst().prefix(4).map(\.id)) == Array(expected.reversed().prefix(4)))
        }
    }
}
