import Glibc

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
        (try? SpoolJSON.load(QueueAverages.self, from: layout.stats)) ?? QueueAverages()
    }

    /// Folds one finished job's times in. Best effort: an estimate must never fail a job.
    public func record(_ priority: Priority, wait: Double, run: Double) {
        let fd = open(layout.statsLock, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { return }
        var averages = load()
        averages.record(priority, wait: wait, run: run)
        // Not fsync'ed: losing the last few samples in a power cut only nudges an estimate.
        try? AtomicFile.write(json: averages, to: layout.stats, layout: layout, durable: false)
    }
}
