import Foundation
import Spool
import Testing

/// `spool/host.json`: a spool remembers the host name it serves and refuses another while
/// jobs claimed under the old one are in it.
@Suite("Host record")
struct HostRecordTests {
    @Test("the first name is recorded with a new spool id, and kept")
    func first() throws {
        let spool = try ScratchSpool()
        let record = try HostRecord.serve("b", layout: spool.layout)
        #expect(record.host == "b" && !record.spool.isEmpty)
        #expect(try SpoolJSON.load(HostRecord.self, from: spool.layout.hostRecord) == record)
        #expect(try HostRecord.serve("b", layout: spool.layout) == record)
    }

    @Test("another name is refused while a job is queued or claimed; once drained it is taken, under the same spool id")
    func rename() throws {
        let spool = try ScratchSpool()
        let first = try HostRecord.serve("b", layout: spool.layout)
        let request = JobRequest(command: "true", priority: .async)
        try SpoolQueue(layout: spool.layout).submit(request)
        #expect(throws: HostRecord.Refusal.servesAnother(spool: spool.layout.root, host: "b", wanted: "c", inFlight: 1)) {
            try HostRecord.serve("c", layout: spool.layout)
        }
        let worker = WorkerName("w")!
        try FileSystem.makeDirectory(spool.layout.active(worker: worker))
        #expect(try SpoolQueue(layout: spool.layout).claim(QueueEntry(id: request.job, priority: .async), worker: worker))
        #expect(throws: HostRecord.Refusal.self) { try HostRecord.serve("c", layout: spool.layout) }
        #expect(try SpoolJSON.load(HostRecord.self, from: spool.layout.hostRecord)?.host == "b")
        try FileManager.default.removeItem(atPath: spool.layout.active(request.job, worker: worker))
        let renamed = try HostRecord.serve("c", layout: spool.layout)
        #expect(renamed == HostRecord(host: "c", spool: first.spool))
    }
}
