import Glibc
import Synchronization

/// `stats.json`: exponential moving averages of how long requests waited and ran, per
/// priority. Kept in the spool so that a restart does not forget them; every process that
/// finishes a job folds its times in (under `stats.lock`).
public struct QueueAverages: Codable, Sendable, Equatable {
    public struct Average: Codable, Sendable, Equatable {
        public var waitSeconds: Double
        public var runSeconds: Double
        public var samples: Int
    }

    public var sync: Average?
    public var async: Average?
    public var updatedAt: Timestamp?

    public init() {}

    /// Weight of the newest sample: about the last ten jobs dominate.
    public static let alpha = 0.2

    public subscript(priority: Priority) -> Average? {
        get { priority == .sync ? sync : async }
        set { if priority == .sync { sync = newValue } else { async = newValue } }
    }

    public mutating func record(_ priority: Priority, wait: Double, run: Double) {
        let wait = max(0, wait), run = max(0, run)
        if var average = self[priority] {
            average.waitSeconds += Self.alpha * (wait - average.waitSeconds)
            average.runSeconds += Self.alpha * (run - average.runSeconds)
            average.samples += 1
            self[priority] = average
        } else {
            self[priority] = Average(waitSeconds: wait, runSeconds: run, samples: 1)
        }
        updatedAt = .now
    }

    /// Average run time over both priorities, weighted by samples; nil before any job.
    public var runSeconds: Double? {
        let known = [sync, async].compactMap { $0 }
        let samples = known.reduce(0) { $0 + $1.samples }
        guard samples > 0 else { return nil }
        return known.reduce(0) { $0 + $1.runSeconds * Double($1.samples) } / Double(samples)
    }
}

/// Reads and updates `stats.json`.
public struct AveragesFile: Sendable {
    public let layout: SpoolLayout

    public init(layout: SpoolLayout) {
        self.layout = layout
    }

    public func load() -> QueueAverages {
        // Averages are only estimates: a corrupt file starts them over.
        (try? SpoolJSON.load(QueueAverages.self, from: layout.stats)) ?? QueueAverages()
    }

    /// Samples not yet written, per spool, shared by everything in this process.
    private static let pending = Mutex<[String: Batch]>([:])

    private struct Batch {
        var samples: [(Priority, Double, Double)] = []
        var lastWrite: Double = 0
    }

    /// At most one write per this many seconds per process: each write creates a file,
    /// and on a busy spool that would be one more inode per job.
    public static let writeInterval = 1.0

    /// Folds one finished job's times in: written at once if the last write was over a
    /// second ago, otherwise with the next sample or `flush()` (workers and spool-mcp
    /// call it every liveness tick). Best effort: an estimate must never fail a job.
    public func record(_ priority: Priority, wait: Double, run: Double) {
        let now = Timestamp.now.seconds
        let due = Self.pending.withLock { all -> [(Priority, Double, Double)]? in
            var batch = all[layout.root] ?? Batch()
            batch.samples.append((priority, wait, run))
            defer { all[layout.root] = batch }
            guard now - batch.lastWrite >= Self.writeInterval else { return nil }
            batch.lastWrite = now
            defer { batch.samples = [] }
            return batch.samples
        }
        if let due { write(due) }
    }

    /// Writes samples still held in memory.
    public func flush() {
        let due = Self.pending.withLock { all -> [(Priority, Double, Double)] in
            guard var batch = all[layout.root], !batch.samples.isEmpty else { return [] }
            defer { all[layout.root] = batch }
            batch.lastWrite = Timestamp.now.seconds
            defer { batch.samples = [] }
            return batch.samples
        }
        if !due.isEmpty { write(due) }
    }

    private func write(_ samples: [(Priority, Double, Double)]) {
        let fd = open(layout.statsLock, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { return }
        var averages = load()
        for (priority, wait, run) in samples { averages.record(priority, wait: wait, run: run) }
        // Not fsync'ed: losing the last few samples in a power cut only nudges an estimate.
        do {
            try AtomicFile.write(json: averages, to: layout.stats, layout: layout, durable: false)
        } catch {
            SpoolLog.logger.warning("cannot write the moving averages to \(layout.stats): \(error); ETAs use the older ones")
        }
    }
}
