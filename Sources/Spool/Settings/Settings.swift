import Foundation

/// Settings shared by spool-mcp and spool-worker. Each flag has an environment twin
/// named `SPOOL_` + the flag in capitals (`--output-limit` / `SPOOL_OUTPUT_LIMIT`); the
/// flag wins. Defaults live here once, so the README, `.env.example` and both commands agree.
public enum Settings {
    public static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static func double(_ name: String, _ fallback: Double) -> Double {
        environment(name).flatMap(Double.init) ?? fallback
    }

    /// A comma-separated list (`SPOOL_WATCH=/var/log,/srv/app`); empty items are dropped.
    public static func list(_ name: String) -> [String] {
        (environment(name) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// An on/off switch: `1`, `true` or `yes` turn it on.
    public static func flag(_ name: String) -> Bool {
        ["1", "true", "yes"].contains(environment(name)?.lowercased() ?? "")
    }

    public static func int(_ name: String, _ fallback: Int) -> Int {
        environment(name).flatMap(Int.init) ?? fallback
    }

    /// Bytes kept per output stream of a job; 0 = unlimited.
    public static let outputLimit = 0
    /// Seconds finished jobs are kept: 7 days.
    public static let retain = 7.0 * 86400
    /// Host-wide running jobs across all workers; 0 = no limit beyond each worker's slots.
    public static let maxRunning = 0
    /// Idle seconds after which a session is closed (reported as abandoned at half).
    public static let sessionIdle = 3600.0
    /// 1-minute load per core above which async work is not claimed; 0 = off.
    public static let maxLoad = 0.0
    /// Percent of memory in use above which async work is not claimed; 0 = off.
    public static let maxMemory = 0.0
    /// Seconds an empty request file is left alone for its writer (`echo … > queue/…`
    /// creates the file before it writes). Generous, because a writer on a loaded machine
    /// can stall for seconds between the two; after it, the file is claimed and, still
    /// empty, moved to bad/.
    public static let emptyRequestGrace = 60.0
    /// Seconds between TERM and KILL when a job (or a session's command) is stopped.
    public static let killGrace = 5.0
    /// Seconds after which a waiting async request is served like a sync one.
    public static let asyncAging = 60.0
    /// Seconds a stopping worker lets its running jobs finish before it exits (they go on
    /// under their supervisors).
    public static let shutdownGrace = 10.0
    /// Seconds `run` and `wait` wait by default (`wait` / `timeout` arguments).
    public static let toolWait = 30.0
    /// Seconds a `run` waited for a slot from which its answer suggests `start`.
    public static let slotWaitHint = 1.0
    /// How long a job runs before its worker writes the running `status.json`: a shorter
    /// job touches its status once, when it ends (the keeper's note of the start,
    /// `KeeperStart`, stands for it meanwhile). The relays batch "running" the same way.
    /// `SPOOL_RUNNING_STATUS_DELAY_MS` in a worker's environment changes it: tests hold
    /// that window open to kill a job's processes inside it.
    public static let runningStatusDelay: Duration = .milliseconds(max(int("SPOOL_RUNNING_STATUS_DELAY_MS", 20), 0))
    /// Seconds `session_start` waits for a worker to open the shell before it answers.
    public static let sessionReadyWait = 5.0
    /// Bytes of output a `run` result carries inline, over both streams.
    public static let inlineOutput = 24 << 10
    /// Longest silence between progress notifications of a `run` or `wait`.
    public static let progressKeepAlive = 15.0
    /// Seconds an idle MCP session over HTTP is kept.
    public static let httpSessionIdle = 3600.0
    /// HTTP connection limits: seconds to send the headers, the body, or to read a
    /// response that waits; connections open at once.
    public static let httpHeaderTimeout = 10.0
    public static let httpBodyTimeout = 30.0
    public static let httpStallTimeout = 30.0
    public static let httpMaxConnections = 512
    /// Seconds without changes under `--backup` before an idle backup.
    public static let backupIdle = 120.0
}

/// The limits a worker enforces, as one value passed from the command line down.
public struct WorkerLimits: Sendable {
    public var outputLimit: Int64
    public var retain: Double
    public var maxRunning: Int
    public var sessionIdle: Double
    public var maxLoad: Double
    public var maxMemory: Double

    public init(outputLimit: Int64, retain: Double, maxRunning: Int, sessionIdle: Double, maxLoad: Double, maxMemory: Double) {
        self.outputLimit = outputLimit
        self.retain = retain
        self.maxRunning = maxRunning
        self.sessionIdle = sessionIdle
        self.maxLoad = maxLoad
        self.maxMemory = maxMemory
    }

    /// Problems in words a user can act on.
    public var problem: String? {
        if outputLimit < 0 { return "--output-limit must be 0 (unlimited) or a number of bytes" }
        if retain < 0 { return "--retain must be 0 (keep forever) or a number of seconds" }
        if maxRunning < 0 || maxRunning > 4096 { return "--max-running must be between 0 (no limit) and 4096" }
        if !(sessionIdle > 0) { return "--session-idle must be a positive number of seconds" }
        if maxLoad < 0 { return "--max-load must be 0 (off) or a load per core such as 1.5" }
        if maxMemory < 0 || maxMemory > 100 { return "--max-memory must be a percentage between 0 (off) and 100" }
        return nil
    }

    /// The same limits as spool-worker arguments (spool-mcp passes them to its workers).
    public var arguments: [String] {
        ["--output-limit", String(outputLimit), "--retain", String(retain), "--max-running", String(maxRunning),
         "--session-idle", String(sessionIdle), "--max-load", String(maxLoad), "--max-memory", String(maxMemory)]
    }
}
