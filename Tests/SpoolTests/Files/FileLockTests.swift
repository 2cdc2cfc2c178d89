import Foundation
import Spool
import Testing

@Suite("FileLock")
struct FileLockTests {
    @Test("a held lock is seen as held and cannot be taken twice; it frees when released")
    func heldAndFreed() throws {
        let spool = try ScratchSpool()
        let path = spool.layout.workers + "/w.lock"
        do {
            let lock = try #require(try FileLock.tryAcquire(path))
            #expect(FileLock.isHeld(path))
            #expect(try FileLock.tryAcquire(path) == nil)
            withExtendedLifetime(lock) {}
        }
        #expect(!FileLock.isHeld(path))
        #expect(try FileLock.tryAcquire(path) != nil)
    }

    @Test("a lock file is removed only when free, and a holder of a removed file never believes it holds the lock")
    func removeIfFree() throws {
        let spool = try ScratchSpool()
        let path = spool.layout.workers + "/w.lock"
        let lock = try #require(try FileLock.tryAcquire(path))
        FileLock.removeIfFree(path)
        #expect(FileSystem.exists(path), "a held lock file stays")
        withExtendedLifetime(lock) {}
    }

    @Test("folders can be locked (a job's lock is its folder)")
    func folder() throws {
        let spool = try ScratchSpool()
        let lock = try #require(try FileLock.tryAcquire(spool.layout.jobs, create: false))
        #expect(FileLock.isHeld(spool.layout.jobs))
        withExtendedLifetime(lock) {}
    }
}
