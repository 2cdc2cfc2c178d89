import Spool

/// Highest queue depths and running count this spool-mcp has seen since it started
/// (sampled on every submit, every `stats` call and every 2 s liveness sweep).
actor Peaks {
    struct Snapshot: Codable, Sendable {
        var queuedSync = 0
        var queuedAsync = 0
        var running = 0
        var since: Timestamp = .now
    }

    private var peaks = Snapshot()

    @discardableResult
    func observe(_ census: SpoolCensus) -> Snapshot {
        peaks.queuedSync = max(peaks.queuedSync, census.queuedSync)
        peaks.queuedAsync = max(peaks.queuedAsync, census.queuedAsync)
        peaks.running = max(peaks.running, census.running)
        return peaks
    }
}
