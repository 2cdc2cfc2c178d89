/// A live worker (it holds its lock) with its record and how many requests it holds in
/// `active/`: what `stats` counts and the dashboard lists.
public struct LiveWorker: Sendable, Equatable {
    public var record: WorkerRecord
    public var running: Int

    public init(record: WorkerRecord, running: Int) {
        self.record = record
        self.running = running
    }

    /// Every live worker whose record can be read now, by name.
    public static func all(_ layout: SpoolLayout) -> [LiveWorker] {
        let recovery = Recovery(layout: layout)
        var live: [LiveWorker] = []
        for name in FileSystem.list(layout.workers).sorted() {
            guard case .workerRecord(let worker) = layout.classify(layout.workers + "/" + name), recovery.isAlive(worker),
                  let record = try? SpoolJSON.load(WorkerRecord.self, from: layout.workerRecord(worker)) else { continue } // a record being replaced: seen at the next look
            live.append(LiveWorker(record: record, running: FileSystem.list(layout.active(worker: worker)).count))
        }
        return live
    }
}
