import Spool
import Synchronization

/// The waiting requests as spool-mcp last saw them: listed once, then kept up to date
/// from inotify (arrivals in and departures from the two queue folders), and listed
/// again after an overflow. `start` counts its position and the queue depths from it,
/// so a burst of submissions does not list a long queue once per call; `status`, `list`
/// and `stats` take positions and depths from it too, so no call lists the queue.
///
/// It may lag the folders by the events not yet read: a job in it may have been claimed
/// a moment ago, and one just submitted may not be in it yet (its reader counts it in).
/// Whether a job waits at all is always read from the folders; only its position and the
/// depths come from here.
actor QueueIndex {
    let layout: SpoolLayout
    /// Written by `run` only; read by any tool call without waiting for the actor.
    private let kept = Mutex<QueueSnapshot?>(nil)

    init(layout: SpoolLayout) {
        self.layout = layout
    }

    /// The queue, or nil until the first listing (or while one is due after an overflow).
    nonisolated func snapshot() -> QueueSnapshot? {
        kept.withLock { $0 }
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
            kept.withLock { queue in
                if event.isArrival {
                    queue?.insert(id, priority)
                } else if event.isDeparture {
                    queue?.remove(id, priority)
                }
            }
        }
    }

    private func relist() {
        let listed = QueueSnapshot(SpoolQueue(layout: layout).entries())
        kept.withLock { $0 = listed }
    }
}
