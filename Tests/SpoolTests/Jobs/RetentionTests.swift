import Foundation
import Spool
import Testing

@Suite("Retention")
struct RetentionTests {
    @Test("old finished jobs go oldest first, at most a batch per sweep; newer ones stay")
    func batches() throws {
        let spool = try ScratchSpool()
        let layout = spool.layout
        let records = JobRecords(layout: layout)
        let now = Timestamp.now
        var old: [JobID] = []
        for n in 0..<7 {
            // Finished an hour ago (and a few seconds apart), or (the last two) just now.
            let ago = n < 5 ? Int64(3600 + n) : 0
            let id = JobID(milliseconds: UInt64((now.nanoseconds - ago * 1_000_000_000) / 1_000_000), randomHigh: 0, randomLow: UInt64(n))
            try FileSystem.makeDirectory(layout.job(id))
            var status = JobStatus(job: id, state: .succeeded, priority: .async, createdAt: id.createdAt)
            status.finishedAt = id.createdAt
            try records.writeStatus(status)
            try AtomicFile.write(try SpoolJSON.encode(JobRequest(job: id, command: "true", priority: .async)), to: layout.done(id), layout: layout)
            if n < 5 { old.append(id) }
        }
        let retention = Retention(layout: layout, retain: 600)
        #expect(retention.sweep(now: now, limit: 3) == 3)
        let oldest = old.sorted()
        #expect(oldest.prefix(3).allSatisfy { !FileSystem.exists(layout.done($0)) && !FileSystem.isDirectory(layout.job($0)) })
        #expect(oldest.suffix(2).allSatisfy { FileSystem.exists(layout.done($0)) })
        #expect(retention.sweep(now: now, limit: 3) == 2)
        #expect(retention.sweep(now: now, limit: 3) == 0)
        #expect(FileSystem.list(layout.done).count == 2)
    }
}
