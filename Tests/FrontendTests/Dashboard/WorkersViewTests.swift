@testable import Frontend
import Spool
import Testing

@Suite("the dashboard's workers and hosts")
struct WorkersViewTests {
    static func record(_ name: String, slots: Int, hosts: [RemoteHost]? = nil, at seconds: Int64 = 0) -> WorkerRecord {
        var record = WorkerRecord(worker: WorkerName(name)!, pid: 7, host: "machine", slots: slots,
                                  startedAt: Timestamp(nanoseconds: 0), heartbeat: Timestamp(nanoseconds: seconds * 1_000_000_000))
        record.hosts = hosts
        record.hostsAt = hosts.map { _ in Timestamp(nanoseconds: seconds * 1_000_000_000) }
        return record
    }

    @Test("workers as they are; the hosts from the relay whose view is freshest; none without a relay")
    func view() {
        let b = RemoteHost(name: "b", live: true, running: 2, slots: 4, since: Timestamp(nanoseconds: 0))
        let c = RemoteHost(name: "c", live: false, running: 0, slots: nil, since: Timestamp(nanoseconds: 0))
        let view = WorkersView([
            LiveWorker(record: Self.record("w1", slots: 2), running: 1),
            LiveWorker(record: Self.record("relay-old", slots: 0, hosts: [c], at: 5), running: 0),
            LiveWorker(record: Self.record("relay", slots: 0, hosts: [b, c], at: 9), running: 2),
        ])
        #expect(view.workers.map(\.worker) == ["w1", "relay-old", "relay"])
        #expect(view.workers.map(\.relay) == [false, true, true])
        #expect(view.workers.first?.running == 1 && view.workers.first?.slots == 2)
        #expect(view.hosts == [b, c])
        #expect(view.hostsAt == Timestamp(nanoseconds: 9_000_000_000))
        let alone = WorkersView([LiveWorker(record: Self.record("w1", slots: 2), running: 0)])
        #expect(alone.hosts.isEmpty && alone.hostsAt == nil)
    }
}
