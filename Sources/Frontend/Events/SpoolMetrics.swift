import Metrics
import Prometheus
import Spool
import Synchronization

/// The figures `/metrics` shows, through swift-metrics with a Prometheus registry.
/// Queue depth, running jobs and workers are read from the spool when scraped (the files
/// are the truth, also for work other processes did); claims, durations and waits are
/// counted by the event recorder as it sees jobs start and finish.
final class SpoolMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let sseClients = Atomic<Int>(0)

    /// Installs the Prometheus factory for the whole process (once; HTTP mode only).
    static func bootstrap() -> SpoolMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let jobBuckets: [Duration] = [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1),
                                      .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(1800), .seconds(3600)]
        factory.durationHistogramBuckets = ["spool_job_duration_seconds": jobBuckets, "spool_job_wait_seconds": jobBuckets]
        MetricsSystem.bootstrap(factory)
        return SpoolMetrics(registry: registry)
    }

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func claimed(waited seconds: Double, priority: Priority) {
        Counter(label: "spool_claims_total", dimensions: [("priority", priority.rawValue)]).increment()
        Metrics.Timer(label: "spool_job_wait_seconds", dimensions: [("priority", priority.rawValue)])
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    func finished(seconds: Double, state: JobState) {
        Metrics.Timer(label: "spool_job_duration_seconds", dimensions: [("state", state.rawValue)])
            .recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    /// Counted here and set as a gauge when scraped, like the other gauges.
    func sseClient(connected: Bool) {
        sseClients.add(connected ? 1 : -1, ordering: .relaxed)
    }

    /// Prometheus text, with the spool's current census.
    func scrape(_ census: SpoolCensus, mcpSessions: Int) -> [UInt8] {
        Gauge(label: "spool_queue_depth", dimensions: [("priority", "sync")]).record(census.queuedSync)
        Gauge(label: "spool_queue_depth", dimensions: [("priority", "async")]).record(census.queuedAsync)
        Gauge(label: "spool_running_jobs").record(census.running)
        Gauge(label: "spool_workers").record(census.workers)
        Gauge(label: "spool_mcp_sessions").record(mcpSessions)
        Gauge(label: "spool_sse_clients").record(sseClients.load(ordering: .relaxed))
        return registry.emitToBuffer()
    }
}
