import Foundation
import Spool
import Testing

@Suite("task records")
struct TaskStoreTests {
    @Test("ids are 32 hex digits from 128 random bits; anything else is refused")
    func ids() {
        let ids = (0..<1000).map { _ in TaskID.make().rawValue }
        #expect(Set(ids).count == 1000)
        #expect(ids.allSatisfy { TaskID($0) != nil && $0.count == 32 })
        for bad in ["", "../x", String(repeating: "A", count: 32), String(repeating: "a", count: 31), String(repeating: "a", count: 33), "ffffffffffffffffffffffffffffff/."] {
            #expect(TaskID(bad) == nil, "\(bad)")
        }
    }

    @Test("a record is written in tasks/, read back, and pruned with its job")
    func store() throws {
        let root = NSTemporaryDirectory() + "spool-tasks-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = SpoolLayout(root: root)
        try layout.create()
        let store = TaskStore(layout: layout)
        let job = JobID.make()
        try FileSystem.makeDirectory(layout.job(job))
        let record = try store.create(for: job)
        #expect(FileManager.default.fileExists(atPath: root + "/tasks/\(record.task).json"))
        #expect(try store.record(record.task) == record)
        #expect(try store.record(.make()) == nil)
        #expect(store.prune() == 0)
        try FileManager.default.removeItem(atPath: layout.job(job))
        #expect(store.prune() == 1)
        #expect(try store.record(record.task) == nil)
    }
}
