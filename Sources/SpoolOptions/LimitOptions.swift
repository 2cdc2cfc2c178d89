import ArgumentParser
import Spool

/// The limits, as flags of both spool-worker and spool-mcp (which hands them to the
/// workers it starts). Each flag's environment twin is its default.
public struct LimitOptions: ParsableArguments, Sendable {
    @Option(help: "Bytes kept per output stream of a job; more is dropped and counted; 0 = unlimited (env SPOOL_OUTPUT_LIMIT).")
    public var outputLimit: Int64 = Int64(Settings.int("SPOOL_OUTPUT_LIMIT", Settings.outputLimit))

    @Option(help: "Seconds finished jobs are kept before they are removed, oldest first; 0 = forever (env SPOOL_RETAIN; default 7 days).")
    public var retain: Double = Settings.double("SPOOL_RETAIN", Settings.retain)

    @Option(help: "Jobs and sessions running at once on this host, over all workers; 0 = only each worker's --slots (env SPOOL_MAX_RUNNING).")
    public var maxRunning: Int = Settings.int("SPOOL_MAX_RUNNING", Settings.maxRunning)

    @Option(help: "Seconds a session may sit idle before it is closed; it is reported as abandoned at half (env SPOOL_SESSION_IDLE).")
    public var sessionIdle: Double = Settings.double("SPOOL_SESSION_IDLE", Settings.sessionIdle)

    @Option(help: "1-minute load per core above which workers claim no async work (sync still runs); 0 = off (env SPOOL_MAX_LOAD).")
    public var maxLoad: Double = Settings.double("SPOOL_MAX_LOAD", Settings.maxLoad)

    @Option(help: "Percent of memory in use above which workers claim no async work; 0 = off (env SPOOL_MAX_MEMORY).")
    public var maxMemory: Double = Settings.double("SPOOL_MAX_MEMORY", Settings.maxMemory)

    public init() {}

    public var limits: WorkerLimits {
        WorkerLimits(outputLimit: outputLimit, retain: retain, maxRunning: maxRunning, sessionIdle: sessionIdle,
                     maxLoad: maxLoad, maxMemory: maxMemory)
    }

    public func validate() throws {
        if let problem = limits.problem { throw ValidationError(problem) }
    }
}
