import Foundation
import Glibc
import Spool
import Testing

/// Serialized: the process has one watcher, so a flood in one test would reach the other.
@Suite("SpoolWatcher overflow", .serialized)
struct WatchOverflowTests {
    @Test("a subscriber that falls behind gets an overflow event in place of what it missed, then events again")
    func overflowReachesTheSubscriber() async throws {
        let (spool, directory, watcher) = try await Self.watchedFolder()
        defer { withExtendedLifetime(spool) {} }
        let events = watcher.events(limit: 10)
        Self.create(200, in: directory)
        // Wait until the watcher thread has offered everything.
        try await Task.sleep(for: .seconds(1))
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
        // Other tests in this process watch folders of their own: only this one's events count.
        var next = await iterator.next()
        while let event = next, event.directory != directory, !event.isOverflow { next = await iterator.next() }
        #expect(next?.name == "after")
        await watcher.unwatch(directory)
    }

    @Test("a subscriber that reads nothing while 10,100 events arrive is told of the overflow, not left with a silent gap")
    func floodWithTheDefaultLimit() async throws {
        let (spool, directory, watcher) = try await Self.watchedFolder()
        defer { withExtendedLifetime(spool) {} }
        let events = watcher.events()
        Self.create(10_100, in: directory)
        close(open(directory + "/last", O_WRONLY | O_CREAT, 0o644))
        // Give the watcher's thread time to offer them all while nothing reads.
        try await Task.sleep(for: .seconds(1))
        var sawOverflow = false
        var count = 0
        for await event in events {
            if event.isOverflow { sawOverflow = true; break }
            if event.directory == directory { count += 1 }
            if event.name == "last" { break }
        }
        // No silent gap: either every event arrived, or the overflow says some did not.
        #expect(sawOverflow || count == 10_101, "\(count) of 10101 events and no overflow: the rest were dropped silently")
        #expect(sawOverflow, "the subscriber was 10,101 events behind, past its limit of 10,000")
        await watcher.unwatch(directory)
    }

    @Test("a subscriber with a filter gets only the events it wants, in order, and still every overflow")
    func filteredSubscriber() async throws {
        let (spool, directory, watcher) = try await Self.watchedFolder()
        defer { withExtendedLifetime(spool) {} }
        let wanted: Set<String> = ["f3", "f7", "last"]
        let picky = watcher.events { $0.directory == directory && wanted.contains($0.name) }
        let all = watcher.events()
        Self.create(10, in: directory)
        close(open(directory + "/last", O_WRONLY | O_CREAT, 0o644))
        var seen: [String] = []
        for await event in picky {
            seen.append(event.name)
            if event.name == "last" { break }
        }
        #expect(seen == ["f3", "f7", "last"])
        var everything = 0
        for await event in all where event.directory == directory {
            everything += 1
            if event.name == "last" { break }
        }
        #expect(everything == 11, "an unfiltered subscriber still sees all")
        // Falling behind on wanted events: the overflow comes through the filter.
        let behind = watcher.events(limit: 2) { $0.directory == directory && $0.name.hasPrefix("g") }
        let marker = watcher.events { $0.directory == directory && $0.name == "end" }
        for index in 0..<5 { close(open(directory + "/g\(index)", O_WRONLY | O_CREAT, 0o644)) }
        close(open(directory + "/end", O_WRONLY | O_CREAT, 0o644))
        // The watcher's thread offers each event to every subscriber in turn: once "end"
        // has reached one, every g-event has been offered to the other, unread.
        for await _ in marker { break }
        var iterator = behind.makeAsyncIterator()
        var names: [String] = []
        while names.count < 3, let event = await iterator.next() { names.append(event.isOverflow ? "overflow" : event.name) }
        #expect(names == ["g0", "g1", "overflow"])
        await watcher.unwatch(directory)
    }

    /// A fresh folder watched for arrivals by the process's watcher (the spool keeps it alive).
    static func watchedFolder() async throws -> (ScratchSpool, String, SpoolWatcher) {
        let spool = try ScratchSpool()
        let directory = spool.layout.root + "/flood"
        try FileSystem.makeDirectory(directory)
        let watcher = try SpoolWatcher.shared()
        try await watcher.watch(directory, mask: WatchMask.arrivals)
        return (spool, directory, watcher)
    }

    static func create(_ count: Int, in directory: String) {
        for index in 0..<count { close(open(directory + "/f\(index)", O_WRONLY | O_CREAT, 0o644)) }
    }
}
