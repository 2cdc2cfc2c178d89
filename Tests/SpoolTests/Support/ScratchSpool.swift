import Foundation
import Spool
import Testing

/// A fresh spool folder per test.
final class ScratchSpool {
    let layout: SpoolLayout

    init() throws {
        var template = Array((NSTemporaryDirectory() + "spool-unit-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        layout = SpoolLayout(root: String(cString: made))
        try layout.create()
    }

    deinit { try? FileManager.default.removeItem(atPath: layout.root) }
}

extension ScratchSpool {
    /// Queues `request` and claims it for `worker`, as a worker does (its request then
    /// waits in `active/<worker>/`).
    func claim(_ request: JobRequest, by worker: WorkerName) throws {
        try FileSystem.makeDirectory(layout.active(worker: worker))
        let queue = SpoolQueue(layout: layout)
        try queue.submit(request)
        #expect(try queue.claim(QueueEntry(id: request.job, priority: request.priority), worker: worker))
    }
}
