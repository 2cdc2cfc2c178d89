@testable import Frontend
import Foundation
import Spool
import Testing

@Suite("QueueIndex")
struct QueueIndexTests {
    /// Waits up to 10 s for the index to show `expected`.
    func settles(_ index: QueueIndex, to expected: Set<QueueEntry>) async -> Bool {
        for _ in 0..<500 {
            if let queue = index.snapshot(), Set(queue.entries) == expected, queue.count == expected.count { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test("lists the queue once, then follows submissions, promotes and claims from inotify")
    func follows() async throws {
        var template = Array((NSTemporaryDirectory() + "queue-index-XXXXXX").utf8CString)
        let root = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = SpoolLayout(root: root)
        try layout.create()
        let queue = SpoolQueue(layout: layout)
        let early = JobRequest(command: "true", priority: .async)
        try queue.submit(early) // before the index starts: found by its listing
        let index = QueueIndex(layout: layout)
        #expect(index.snapshot() == nil, "no answer before the first listing")
        let follower = Task { await index.run(watcher: try! SpoolWatcher.shared()) }
        defer { follower.cancel() }
        #expect(await settles(index, to: [QueueEntry(id: early.job, priority: .async)]))
        let late = JobRequest(command: "true", priority: .async)
        try queue.submit(late)
        #expect(await settles(index, to: [QueueEntry(id: early.job, priority: .async), QueueEntry(id: late.job, priority: .async)]))
        #expect(try JobTransitions(layout: layout).promote(late.job, from: .async, to: .sync))
        #expect(await settles(index, to: [QueueEntry(id: early.job, priority: .async), QueueEntry(id: late.job, priority: .sync)]))
        let worker = try #require(WorkerName("w"))
        try FileSystem.makeDirectory(layout.active(worker: worker))
        #expect(try queue.claim(QueueEntry(id: early.job, priority: .async), worker: worker))
        #expect(await settles(index, to: [QueueEntry(id: late.job, priority: .sync)]))
    }
}
