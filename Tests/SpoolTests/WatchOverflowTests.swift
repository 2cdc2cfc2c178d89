import Foundation
import Glibc
import Spool
import Testing

@Suite("SpoolWatcher overflow")
struct WatchOverflowTests {
    @Test("a subscriber that falls behind gets an overflow event in place of what it missed, then events again")
    func overflowReachesTheSubscriber() async throws {
        let spool = try ScratchSpool()
        let directory = spool.layout.root + "/flood"
        try FileSystem.makeDirectory(directory)
        let watcher = try SpoolWatcher.shared()
        try await watcher.watch(directory, mask: WatchMask.arrivals)
        let events = watcher.events(limit: 10)
        for index in 0..<200 {
            close(open(directory + "/f\(index)", O_WRONLY | O_CREAT, 0o644))
        }
        // Wait until the watcher thread has offered everything (the last file's event).
        try await Task.sleep(for: .milliseconds(300))
        var iterator = events.makeAsyncIterator()
        var seen: [WatchEvent] = []
        while seen.count < 20, let event = await iterator.next() {
            seen.append(event)
            if event.isOverflow { break }
        }
        #expect(seen.count == 11, "10 events, then the overflow: got \(seen.count)")
        #expect(seen.last?.isOverflow == true, "the overflow was not delivered")
        #expect(seen.dropLast().allSatisfy { !$0.isOverflow && $0.directory == directory })
        // After the overflow is read, events flow again.
        close(open(directory + "/after", O_WRONLY | O_CREAT, 0o644))
        let next = await iterator.next()
        #expect(next?.name == "after")
        await watcher.unwatch(directory)
    }
}
