import Spool

/// Keeps the dashboard's `HourHistory` up to date from the journal: the first request reads
/// what the journal holds once, every later one only the events appended since (the
/// reader's cursor), so a chart costs the same with 10 or 100,000 jobs behind it.
actor HourHistoryFeed {
    private let reader: EventJournalReader
    private var history = HourHistory()

    init(layout: SpoolLayout) {
        // From the oldest event still on disk (`journal.1`, then `journal`).
        reader = EventJournalReader(layout: layout, after: 0)
    }

    func window(now: Timestamp = .now) -> HourHistory.Window {
        while true {
            let batch = reader.read()
            guard !batch.events.isEmpty else { break }
            history.record(batch.events, now: now)
        }
        return history.window(now: now)
    }
}
