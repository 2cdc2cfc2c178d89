import ArgumentParser
import Foundation
import Logging
import Spool
import SpoolOptions
import Supervision

@main
struct FrontendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool-mcp",
        abstract: "MCP server that runs shell commands through a Spool directory.",
        discussion: """
            Speaks MCP on stdin/stdout, or with --http on Streamable HTTP at /mcp (with /events, \
            /health and /metrics). Requests are written into the spool; spool-worker processes \
            (started here with --workers, or by hand) run them.
            """)

    @Option(help: "The spool directory (env SPOOL_DIR).")
    var spool: String = ProcessInfo.processInfo.environment["SPOOL_DIR"] ?? "./spool"

    @Option(help: "spool-worker processes to start and supervise; 0 = only external workers (env SPOOL_WORKERS; default: number of cores).")
    var workers: Int = Settings.int("SPOOL_WORKERS", ProcessInfo.processInfo.activeProcessorCount)

    @Option(help: "Serve Streamable HTTP on HOST:PORT instead of stdio (env SPOOL_HTTP); port 0 picks a free one, printed on stderr.")
    var http: String?

    @Option(help: "Bearer token HTTP clients must send; required to bind a non-loopback address (env SPOOL_TOKEN).")
    var token: String?

    @Option(help: "A browser Origin allowed besides loopback ones; repeatable (env SPOOL_ALLOW_ORIGIN, comma-separated).")
    var allowOrigin: [String] = (ProcessInfo.processInfo.environment["SPOOL_ALLOW_ORIGIN"] ?? "").split(separator: ",").map(String.init)

    @Option(help: "Answer CORS requests from this Origin (off by default; env SPOOL_CORS_ORIGIN).")
    var corsOrigin: String?

    private var httpAddress: String? { http ?? Settings.environment("SPOOL_HTTP") }
    private var bearerToken: String? { token ?? ProcessInfo.processInfo.environment["SPOOL_TOKEN"] }
    private var cors: String? { corsOrigin ?? Settings.environment("SPOOL_CORS_ORIGIN") }

    @Option(help: "Seconds without requests after which an HTTP MCP session expires (env SPOOL_HTTP_SESSION_IDLE).")
    var httpSessionIdle: Double = Settings.double("SPOOL_HTTP_SESSION_IDLE", Settings.httpSessionIdle)

    @Option(help: "Seconds an HTTP client has to send a whole request head, and that a keep-alive connection may idle (env SPOOL_HTTP_HEADER_TIMEOUT).")
    var httpHeaderTimeout: Double = Settings.double("SPOOL_HTTP_HEADER_TIMEOUT", Settings.httpHeaderTimeout)

    @Option(help: "Seconds an HTTP client has to send a request body once its head arrived (env SPOOL_HTTP_BODY_TIMEOUT).")
    var httpBodyTimeout: Double = Settings.double("SPOOL_HTTP_BODY_TIMEOUT", Settings.httpBodyTimeout)

    @Option(help: "Seconds an HTTP client may stop reading a stream before it is disconnected (env SPOOL_HTTP_STALL_TIMEOUT).")
    var httpStallTimeout: Double = Settings.double("SPOOL_HTTP_STALL_TIMEOUT", Settings.httpStallTimeout)

    @Option(help: "Most HTTP connections open at once; more wait until one closes (env SPOOL_HTTP_MAX_CONNECTIONS).")
    var httpMaxConnections: Int = Settings.int("SPOOL_HTTP_MAX_CONNECTIONS", Settings.httpMaxConnections)

    @Option(help: "Bytes of output a run result carries inline, over both streams, the end first (env SPOOL_INLINE_OUTPUT).")
    var inlineOutput: Int = Settings.int("SPOOL_INLINE_OUTPUT", Settings.inlineOutput)

    @Option(help: "Most seconds between progress notifications of a silent run or wait (env SPOOL_PROGRESS_KEEPALIVE).")
    var progressKeepalive: Double = Settings.double("SPOOL_PROGRESS_KEEPALIVE", Settings.progressKeepAlive)

    @Option(help: "Seconds between TERM and KILL when a job times out or is cancelled (env SPOOL_KILL_GRACE).")
    var killGrace: Double = Settings.double("SPOOL_KILL_GRACE", Settings.killGrace)

    @Option(help: "Seconds after which a waiting async request is served like a sync one (env SPOOL_ASYNC_AGING).")
    var asyncAging: Double = Settings.double("SPOOL_ASYNC_AGING", Settings.asyncAging)

    @Option(help: "A folder whose files agents may read and follow (file_tail, file_read, spool://files/ resources, /events?path=); repeatable (env SPOOL_WATCH, comma-separated).")
    var watch: [String] = Settings.list("SPOOL_WATCH")

    @Option(help: "A git work tree (its top folder) to back up onto refs/spool/backups while agents work; it is also watched (env SPOOL_BACKUP).")
    var backup: String?
    private var backupFolder: String? { backup ?? Settings.environment("SPOOL_BACKUP") }

    @Option(help: "Seconds without changes under --backup after which a backup is taken (env SPOOL_BACKUP_IDLE).")
    var backupIdle: Double = Settings.double("SPOOL_BACKUP_IDLE", Settings.backupIdle)

    @Flag(help: "Also back up --backup before each job whose cwd is inside it (env SPOOL_BACKUP_BEFORE_JOBS=1).")
    var backupBeforeJobs = false
    // A flag's default cannot come from the environment (it could never be turned off).
    private var beforeJobs: Bool { backupBeforeJobs || Settings.flag("SPOOL_BACKUP_BEFORE_JOBS") }

    /// The backed-up tree is a root too: agents may read what they are protected in.
    private var rootFolders: [String] { watch + [backupFolder].compactMap { $0 } }

    @OptionGroup(title: "Limits (passed to the workers spool-mcp starts)")
    var limitOptions: LimitOptions

    @OptionGroup(title: "Job policy (passed to the workers spool-mcp starts; enforced by the kernel, see README, Confining jobs)")
    var policyOptions: PolicyOptions

    @Option(help: "Days the audit log (spool/audit/<date>.jsonl) is kept; 0 = forever (env SPOOL_AUDIT_RETAIN).")
    var auditRetain: Double = Settings.double("SPOOL_AUDIT_RETAIN", 30)

    @OptionGroup(title: "Many hosts (jobs run by workers on other hosts, through PostgreSQL)")
    var relayOptions: RelayOptions

    func validate() throws {
        guard (0...256).contains(workers) else { throw ValidationError("--workers must be between 0 and 256") }
        if let http = httpAddress {
            let bind: BindTarget
            do { bind = try BindTarget(parsing: http) } catch { throw ValidationError(error.description) }
            if bearerToken?.isEmpty == true { throw ValidationError("--token (or SPOOL_TOKEN) is empty; give a long random string") }
            if !bind.isLoopback && bearerToken == nil {
                throw ValidationError("--http \(http) listens beyond this machine, so it needs a bearer token: add --token <secret> (or set SPOOL_TOKEN), or bind 127.0.0.1")
            }
        }
        guard httpSessionIdle > 0 else { throw ValidationError("--http-session-idle must be more than 0 seconds") }
        guard httpHeaderTimeout > 0, httpBodyTimeout > 0, httpStallTimeout > 0 else {
            throw ValidationError("--http-header-timeout, --http-body-timeout and --http-stall-timeout must be more than 0 seconds")
        }
        guard (0...(1 << 20)).contains(inlineOutput) else { throw ValidationError("--inline-output must be between 0 and 1048576 bytes") }
        guard progressKeepalive >= 0.1 else { throw ValidationError("--progress-keepalive must be at least 0.1 seconds") }
        guard (1...100_000).contains(httpMaxConnections) else { throw ValidationError("--http-max-connections must be between 1 and 100000") }
        guard auditRetain >= 0 else { throw ValidationError("--audit-retain must be 0 (forever) or more days") }
        guard backupIdle >= 0.05 else { throw ValidationError("--backup-idle must be at least 0.05 seconds") }
        if beforeJobs && backupFolder == nil { throw ValidationError("--backup-before-jobs needs --backup DIR (the git work tree to back up)") }
        do { _ = try WatchRoots(rootFolders, workingDirectory: FileManager.default.currentDirectoryPath) } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "spool-mcp")
        let layout = SpoolLayout(root: spool)
        do {
            try layout.create()
        } catch {
            throw ValidationError("cannot use spool \(layout.root): \(error)")
        }
        let order = QueueOrder(asyncAging: asyncAging)
        let limits = limitOptions.limits
        var jobService = JobService(layout: layout, order: order, watcher: try SpoolWatcher.shared(), maxRunning: limits.maxRunning)
        // What the kernel enforces of the policy is asked once, of the supervisor that applies it.
        let policy: PolicyReport
        do {
            policy = try await PolicyProbe.report(supervisor: Executables.sibling("spool-supervisor"), policy: try policyOptions.policy(),
                                                  required: policyOptions.required)
        } catch {
            logger.error("\(error)")
            throw ExitCode(3)
        }
        jobService.policy = policy
        let service = jobService
        logger.notice("\(policy.description)")
        var policyLine = AuditEntry(.policy, host: AuditLog.host)
        policyLine.policy = policy.policy
        service.audit.record(policyLine)
        let audit = service.audit, auditRetain = self.auditRetain
        try await service.startWatching()
        let peaks = Peaks()
        var configuration = ServerConfiguration(service: service, peaks: peaks, workingDirectory: FileManager.default.currentDirectoryPath,
                                    budget: OutputBudget(bytes: inlineOutput), progressKeepAlive: .milliseconds(Int64(progressKeepalive * 1000)))
        configuration.roots = try WatchRoots(rootFolders, workingDirectory: FileManager.default.currentDirectoryPath)
        if let backup = backupFolder {
            let repository: BackupRepository
            do { repository = try await BackupRepository.open(backup) } catch {
                throw ValidationError("--backup \(backup): \(error)")
            }
            configuration.backups = BackupKeeper(repository: repository, watcher: service.watcher, idle: .milliseconds(Int64(backupIdle * 1000)),
                                           beforeJobs: beforeJobs, excluding: [layout.root], logger: logger)
        }
        let backups = configuration.backups
        let pool = WorkerPool(
            layout: layout, count: workers, workerPath: Executables.sibling("spool-worker"),
            namePrefix: "\(ProcessInfo.processInfo.hostName)-\(getpid())",
            // A short shutdown grace: jobs still running when spool-mcp exits go on under
            // their supervisors and are recovered later, so there is no reason to linger.
            extraArguments: ["--kill-grace", String(killGrace), "--async-aging", String(asyncAging), "--shutdown-grace", "3"]
                + limits.arguments + policyOptions.arguments,
            logger: logger,
            onWorkerExit: { Recovery(layout: layout).sweepDeadWorkers() })
        let relay = relayOptions.keptRelay(.send, spool: layout.root, retain: limits.retain, logger: logger)

        // Finishes the bookkeeping of workers that died (also external ones), which no file
        // event announces: a released flock is silent.
        let background: @Sendable () async -> Void = {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await pool.run() }
                if let relay { group.addTask { await relay.run() } }
                group.addTask { await service.queueIndex.run(watcher: service.watcher) }
                if let backups { group.addTask { await backups.run() } }
                group.addTask {
                    while !Task.isCancelled {
                        Recovery(layout: layout).sweepDeadWorkers()
                        AveragesFile(layout: layout).flush()
                        audit.trim(retainDays: auditRetain)
                        await peaks.observe(SpoolCensus.take(layout, queued: service.queueIndex.snapshot()))
                        await Pause.for(.seconds(2))
                    }
                }
                // Until cancelled (with --workers 0 the pool has nothing to run and returns).
                await group.waitForAll()
            }
        }

        if let http = httpAddress {
            try await HTTPFrontend(
                bind: try BindTarget(parsing: http), token: bearerToken, allowedOrigins: allowOrigin, corsOrigin: cors,
                sessionIdle: httpSessionIdle,
                limits: HTTPLimits(headerTimeout: httpHeaderTimeout, bodyTimeout: httpBodyTimeout, stallTimeout: httpStallTimeout,
                                   maxConnections: httpMaxConnections),
                retain: limits.retain, layout: layout, configuration: configuration, background: background, logger: logger
            ).run()
            return
        }

        let stdio = StdioServer(dispatcher: MCPDispatcher(configuration: configuration, retain: limits.retain),
                                origin: AuditClient(transport: .stdio))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await background() }
            // Ends when stdin closes (the client went away).
            group.addTask { await stdio.run() }
            // Or on a signal: stdin's reader blocks in read(2), so the serving ends here.
            group.addTask {
                let (signals, signal) = AsyncStream<Void>.makeStream()
                let stop = SignalWatch([SIGTERM, SIGINT, SIGHUP]) { signal.yield() }
                for await _ in signals { break }
                withExtendedLifetime(stop) {}
            }
            while let _ = await group.next() {
                group.cancelAll()
            }
        }
    }
}
