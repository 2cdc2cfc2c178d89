import Foundation
import Spool
import Testing

@Suite("Queue order")
struct QueueOrderTests {
    let now = Timestamp(nanoseconds: 1_800_000_000_000_000_000)

    func id(secondsAgo: Double) -> JobID {
        JobID(milliseconds: UInt64(now.nanoseconds / 1_000_000 - Int64(secondsAgo * 1000)),
              randomHigh: .random(in: 0...(.max)), randomLow: .random(in: 0...(.max)))
    }

    @Test("sync before async, FIFO within each")
    func syncFirst() {
        let a1 = QueueEntry(id: id(secondsAgo: 5), priority: .async)
        let a2 = QueueEntry(id: id(secondsAgo: 4), priority: .async)
        let s1 = QueueEntry(id: id(secondsAgo: 3), priority: .sync)
        let s2 = QueueEntry(id: id(secondsAgo: 1), priority: .sync)
        let order = QueueOrder(asyncAging: 60)
        #expect(order.sorted([a2, s2, a1, s1], now: now) == [s1, s2, a1, a2])
        #expect(order.position(of: a1.id, in: [a2, s2, a1, s1], now: now) == 3)
        #expect(order.position(of: s1.id, in: [a2, s2, a1, s1], now: now) == 1)
    }

    @Test("an async request older than the aging limit is served with the sync ones, by age")
    func aging() {
        let old = QueueEntry(id: id(secondsAgo: 120), priority: .async)
        let sync = QueueEntry(id: id(secondsAgo: 2), priority: .sync)
        let young = QueueEntry(id: id(secondsAgo: 10), priority: .async)
        #expect(QueueOrder(asyncAging: 60).sorted([young, sync, old], now: now) == [old, sync, young])
        #expect(QueueOrder(asyncAging: 600).sorted([young, sync, old], now: now) == [sync, old, young])
    }

    @Test("an arrival inserted into a reversed serving order lands where sorting would put it, aged async requests included")
    func insertion() {
        let order = QueueOrder(asyncAging: 60)
        for round in 0..<100 {
            var entries: [QueueEntry] = []
            for _ in 0..<(round % 40) {
                entries.append(QueueEntry(id: id(secondsAgo: .random(in: 0...180)), priority: Bool.random() ? .sync : .async))
            }
            var reversed = Array(order.sorted(entries, now: now).reversed())
            let arrival = QueueEntry(id: id(secondsAgo: .random(in: 0...180)), priority: Bool.random() ? .sync : .async)
            order.insert(arrival, intoReversed: &reversed, now: now)
            #expect(reversed == Array(order.sorted(entries + [arrival], now: now).reversed()))
        }
    }
}

@Suite("Queue snapshot")
struct QueueSnapshotTests {
    let now = Timestamp(nanoseconds: 1_800_000_000_000_000_000)

    @Test("positions by binary search match the one-pass count, for every entry of random queues with aged async requests")
    func positionsMatch() {
        let order = QueueOrder(asyncAging: 60)
        for round in 0..<50 {
            var entries: [QueueEntry] = []
            for _ in 0..<(round * 7 % 60 + 1) {
                let ago = Double.random(in: 0...180) // a third are past the aging limit
                let id = JobID(milliseconds: UInt64(now.nanoseconds / 1_000_000 - Int64(ago * 1000)),
                               randomHigh: .random(in: 0...(.max)), randomLow: .random(in: 0...(.max)))
                entries.append(QueueEntry(id: id, priority: Bool.random() ? .sync : .async))
            }
            let snapshot = QueueSnapshot(entries.shuffled())
            #expect(snapshot.count == entries.count)
            for entry in entries {
                #expect(order.position(of: entry.id, in: snapshot, now: now) == order.position(of: entry.id, in: entries, now: now))
            }
            #expect(Array(IteratorSequence(QueueSnapshot.NewestFirst(snapshot)).prefix(5)) == Array(entries.sorted { $0.id > $1.id }.prefix(5)))
        }
    }

    @Test("inserts and removes keep both queues sorted; a repeated arrival counts once")
    func updates() {
        var snapshot = QueueSnapshot()
        let ids = (0..<20).map { _ in JobID.make() }
        for id in ids.shuffled() { snapshot.insert(id, .async) }
        snapshot.insert(ids[3], .async)
        #expect(snapshot.count(.async) == 20)
        #expect(snapshot.entries.map(\.id) == ids.sorted())
        snapshot.remove(ids[3], .async)
        snapshot.remove(ids[3], .sync) // not there: nothing happens
        snapshot.insert(ids[3], .sync) // promoted
        #expect(snapshot.priority(of: ids[3]) == .sync)
        #expect(snapshot.count == 20)
        #expect(QueueOrder().position(of: ids[3], in: snapshot) == 1)
        #expect(snapshot.priority(of: JobID.make()) == nil)
    }
}

@Suite("Claim")
struct ClaimTests {
    @Test("many claimers racing for each request: exactly one wins every time")
    func claimRace() async throws {
        let spool = try ScratchSpool()
        let layout = spool.layout
        let queue = SpoolQueue(layout: layout)
        let claimers = (0..<8).map { WorkerName("c\($0)")! }
        for claimer in claimers { try FileSystem.makeDirectory(layout.active(worker: claimer)) }
        var requests: [JobRequest] = []
        for _ in 0..<300 {
            let request = JobRequest(command: "true", priority: .async)
            try queue.submit(request)
            requests.append(request)
        }
        let all = requests
        let wins = await withTaskGroup(of: [JobID].self) { group in
            for claimer in claimers {
                group.addTask {
                    var won: [JobID] = []
                    for request in all {
                        if (try? queue.claim(QueueEntry(id: request.job, priority: .async), worker: claimer)) == true {
                            won.append(request.job)
                        }
                    }
                    return won
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(wins.count == requests.count)
        #expect(Set(wins) == Set(requests.map(\.job)))
        #expect(FileSystem.list(layout.queue(.async)).isEmpty)
        let claimed = claimers.reduce(0) { $0 + FileSystem.list(layout.active(worker: $1)).count }
        #expect(claimed == requests.count)
    }

    @Test("a cancel (rename to done/) racing a claim, 1,000 times: exactly one of them wins each time")
    func cancelRacesClaim() async throws {
        let spool = try ScratchSpool()
        let layout = spool.layout
        let queue = SpoolQueue(layout: layout)
        let worker = WorkerName("w")!
        try FileSystem.makeDirectory(layout.active(worker: worker))
        for _ in 0..<1000 {
            let request = JobRequest(command: "true", priority: .async)
            try queue.submit(request)
            async let claimed = (try? queue.claim(QueueEntry(id: request.job, priority: .async), worker: worker)) ?? false
            async let cancelled = (try? FileSystem.rename(layout.queued(request.job, .async), to: layout.done(request.job))) ?? false
            let (a, b) = await (claimed, cancelled)
            #expect(a != b)
        }
    }

    @Test("quarantine moves a file to bad/ with a reason beside it")
    func quarantine() throws {
        let spool = try ScratchSpool()
        let path = spool.layout.queue(.async) + "/junk.txt"
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        #expect(SpoolQueue(layout: spool.layout).quarantine(path, reason: "not a request"))
        #expect(!FileSystem.exists(path))
        let reason = try #require(try FileSystem.read(spool.layout.bad + "/junk.txt.reason"))
        #expect(String(decoding: reason, as: UTF8.self).hasPrefix("not a request\n"))
    }
}

@Suite("Claimable request files")
struct ClaimableTests {
    @Test("an empty file is its writer's for a minute, even when the writer stalls for seconds")
    func emptyGrace() {
        #expect(SpoolQueue.isReady(size: 2, age: { 0 }))
        #expect(!SpoolQueue.isReady(size: 0, age: { 0 }))
        #expect(!SpoolQueue.isReady(size: 0, age: { 10 })) // a writer stalled 10 s on a loaded machine
        #expect(SpoolQueue.isReady(size: 0, age: { 60 }))
        #expect(SpoolQueue.isReady(size: nil, age: { nil })) // gone: the claim itself finds out
    }
}
