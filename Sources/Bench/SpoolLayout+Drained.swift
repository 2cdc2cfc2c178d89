import Foundation
import Spool

extension SpoolLayout {
    /// Returns once `done/` holds `count` requests, woken by inotify. Not by polling: a
    /// listing of a folder of thousands of names every few milliseconds takes CPU from the
    /// workers being measured (2 cores), which the raw spawners they are compared with keep.
    /// - Throws: `BenchError.timeout` after `seconds`.
    func drained(to count: Int, within seconds: Double, what: String) async throws {
        let watcher = try SpoolWatcher.shared()
        let events = watcher.events()
        try await watcher.watch(done, mask: WatchMask.arrivals)
        // By name: a request filed between the subscription and this listing is in both.
        let listed = Set(FileSystem.list(done))
        guard listed.count < count else { return }
        let done = self.done
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var filed = listed
                for await event in events {
                    if event.isOverflow {
                        filed.formUnion(FileSystem.list(done))
                    } else if event.directory == done {
                        filed.insert(event.name)
                    }
                    if filed.count >= count { return }
                }
                throw BenchError.timeout(what + " (the watch of done/ ended first)")
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                throw BenchError.timeout(what)
            }
            try await group.next()
            group.cancelAll()
        }
        await watcher.unwatch(done)
    }
}
