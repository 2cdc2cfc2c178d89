import Foundation
import Glibc
import Spool
import Testing

@Suite("Group commit")
struct GroupCommitTests {
    func pending(_ spool: ScratchSpool, _ name: String, in directory: String? = nil) throws -> PendingSync {
        try AtomicFile.writeDeferred(Array("\(name)\n".utf8), to: (directory ?? spool.layout.queue(.async)) + "/" + name, layout: spool.layout)
    }

    @Test("the first flush starts the rounds; flushes asked for during a round all go into the next one; then it is idle again")
    func rounds() throws {
        let spool = try ScratchSpool()
        var queue = GroupCommitQueue<Int>()
        #expect(queue.add(try pending(spool, "a"), waiter: 1), "idle: the caller starts the rounds")
        let first = queue.nextRound()
        #expect(first?.map(\.waiter) == [1])
        for waiter in 2...8 {
            #expect(!queue.add(try pending(spool, "f\(waiter)"), waiter: waiter), "a round runs: no second runner")
        }
        let second = queue.nextRound()
        #expect(second?.map(\.waiter) == Array(2...8), "one round for the whole burst, in order")
        let none = queue.nextRound()
        #expect(none == nil)
        #expect(queue.add(try pending(spool, "z"), waiter: nil), "idle again: the next flush starts the rounds anew")
    }

    @Test("a round syncs each folder once, and a file fails with its own error or one of its folders'")
    func roundPlan() throws {
        let spool = try ScratchSpool()
        let a = try pending(spool, "a")
        let b = try pending(spool, "b").adding(directory: spool.layout.done)
        let c = try pending(spool, "c", in: spool.layout.queue(.sync))
        let round = FlushRound([a, b, c])
        #expect(round.directories == [spool.layout.queue(.async), spool.layout.done, spool.layout.queue(.sync)])
        let failure = SpoolError.io(operation: "flushing", path: "x", errno: EIO)
        let results = round.results(fileErrors: [2: failure], directoryErrors: [spool.layout.done: failure])
        #expect(results.map { (try? $0.get()) != nil } == [true, false, false])
    }

    @Test("concurrent commits all return once on disk, in fewer rounds than commits or as many at most")
    func concurrent() async throws {
        let spool = try ScratchSpool()
        let committer = GroupCommitter()
        let files = try (0..<16).map { try pending(spool, "job\($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for file in files { group.addTask { try await committer.commit(file) } }
            try await group.waitForAll()
        }
        #expect(committer.filesFlushed == 16)
        #expect(committer.rounds >= 1 && committer.rounds <= 16)
        for index in 0..<16 { #expect(FileSystem.exists(spool.layout.queue(.async) + "/job\(index)")) }
    }

    @Test("a flush that fails is reported to its waiter, never turned into success")
    func failure() async throws {
        let spool = try ScratchSpool()
        let folder = spool.layout.root + "/gone"
        try FileSystem.makeDirectory(folder)
        let file = try pending(spool, "x", in: folder)
        // The folder the flush must cover disappears before the round.
        #expect(rename(folder + "/x", spool.layout.root + "/x") == 0)
        #expect(rmdir(folder) == 0)
        let committer = GroupCommitter()
        await #expect(throws: SpoolError.self) { try await committer.commit(file) }
        #expect(committer.filesFlushed == 1)
    }
}
