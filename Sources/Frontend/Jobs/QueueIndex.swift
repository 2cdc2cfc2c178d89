import Spool

/// The waiting requests as spool-mcp last saw them: listed once, then kept up to date
/// from inotify (arrivals in and departures from the two queue folders), and listed
/// again after an overflow. `start` counts its position and the queue depths from it,
/// so a burst of submissions does not list a long queue once per call.
///
/// It may lag the folders by the events not yet read: a job in it may have been claimed
/// a moment ago, and one just submitted may not be in it yet (its reader then lists the
/// queue itself). Queries whose answer must be exact (`status`, `wait`) read the folders.
actor QueueIndex {
    let layout: SpoolLayout
    private var waiting: [JobID: Priority] = [:]
    private var current = false

    init(layout: SpoolLayout) {
        self.layout = layout
    }

    /// The entries, or nil until the first listing (or while one is due after an overflow).
    func entries() -> [QueueEntry]? {
        current ? waiting.map { QueueEntry(id: $0.key, priority: $0.value) } : nil
    }

    /// Follows the queue folders until cancelled.
    func run(watcher: SpoolWatcher) async {
        let events = watcher.events() // before the listing: nothing that happens after it is missed
        do {
            for priority in Priority.allCases {
                try await watcher.watch(layout.queue(priority), mask: WatchMask.arrivals | WatchMask.departures)
            }
        } catch {
            return // without the watch the index stays unused: readers list the folders
        }
        relist()
        let folders = Dictionary(uniqueKeysWithValues: Priority.allCases.map { (layout.queue($0), $0) })
        for await event in events {
            if event.isOverflow {
                relist()
                continue
            }
            guard let priority = folders[event.directory], let id = JobID(fileName: event.name) else { continue }
            if event.isArrival {
                waiting[id] = priority
            } else if event.isDeparture, waiting[id] == priority {
                waiting[id] = nil
            }
        }
    }

    private func relist() {
        waiting = [:]
        for entry in SpoolQueue(layout: layout).entries() { waiting[entry.id] = entry.priority }
        current = true
    }
}
