import ArgumentParser
import Foundation
import Logging
import MCP
import Spool
import SpoolOptions

@main
struct FrontendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool-mcp",
        abstract: "MCP server that runs shell commands through a Spool directory.",
        discussion: """
            Speaks MCP on stdin/stdout. Requests are written into the spool; spool-worker \
            processes (started here with --workers, or by hand) run them.
            """)

    @Option(help: "The spool directory (env SPOOL_DIR).")
    var spool: String = ProcessInfo.processInfo.environment["SPOOL_DIR"] ?? "./spool"

    @Option(help: "spool-worker processes to start and supervise; 0 = only external workers (env SPOOL_WORKERS; default: number of cores).")
    var workers: Int = Int(ProcessInfo.processInfo.environment["SPOOL_WORKERS"] ?? "") ?? ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Serve Streamable HTTP on HOST:PORT instead of stdio (not available yet).")
    var http: String?

    @Option(help: "Seconds between TERM and KILL when a job times out or is cancelled (env SPOOL_KILL_GRACE).")
    var killGrace: Double = Double(ProcessInfo.processInfo.environment["SPOOL_KILL_GRACE"] ?? "") ?? 5

    @Option(help: "Seconds after which a waiting async request is served like a sync one (env SPOOL_ASYNC_AGING).")
    var asyncAging: Double = Double(ProcessInfo.processInfo.environment["SPOOL_ASYNC_AGING"] ?? "") ?? 60

    @OptionGroup(title: "Limits (passed to the workers spool-mcp starts)")
    var limitOptions: LimitOptions

    func validate() throws {
        guard (0...256).contains(workers) else { throw ValidationError("--workers must be between 0 and 256") }
        if http != nil {
            throw ValidationError("--http is not available in this version yet; use stdio (omit --http)")
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
        let service = JobService(layout: layout, order: order, watcher: try SpoolWatcher.shared(), maxRunning: limits.maxRunning)
        try await service.startWatching()
        let peaks = Peaks()
        let server = Server(
            name: "spool", version: "0.2.0",
            instructions: "Runs shell commands through a crash-safe file queue. Use run for commands that finish quickly; start + wait/output for long ones; session_start for a persistent shell.",
            capabilities: .init(logging: .init(), tools: .init(listChanged: false)))
        let tools = SpoolTools(
            service: service, workingDirectory: FileManager.default.currentDirectoryPath, peaks: peaks,
            notify: { [weak server] data in
                try? await server?.log(level: .notice, logger: "spool", data: data)
            })
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: ToolCatalog.tools) }
        await server.withMethodHandler(CallTool.self) { [weak server] params in
            let progress = params._meta?.progressToken.flatMap { token in
                server.map { ProgressReporter(token: token, server: $0) }
            }
            return try await tools.call(params.name, params.arguments, progress: progress)
        }

        let pool = WorkerPool(
            layout: layout, count: workers, workerPath: Executables.sibling("spool-worker"),
            namePrefix: "\(ProcessInfo.processInfo.hostName)-\(getpid())",
            // A short shutdown grace: jobs still running when spool-mcp exits go on under
            // their supervisors and are recovered later, so there is no reason to linger.
            extraArguments: ["--kill-grace", String(killGrace), "--async-aging", String(asyncAging), "--shutdown-grace", "3"]
                + limits.arguments,
            logger: logger,
            onWorkerExit: { Recovery(layout: layout).sweepDeadWorkers() })

        let transport = BlockingStdioTransport(logger: logger)
        try await server.start(transport: transport)
        let stop = SignalWatch([SIGTERM, SIGINT, SIGHUP]) {
            Task { await transport.disconnect() }
        }
        defer { withExtendedLifetime(stop) {} }

        await withTaskGroup(of: Void.self) { group in
            group.addTask { await pool.run() }
            group.addTask {
                // Finishes the bookkeeping of workers that died (also external ones), which
                // no file event announces: a released flock is silent.
                while !Task.isCancelled {
                    Recovery(layout: layout).sweepDeadWorkers()
                    AveragesFile(layout: layout).flush()
                    await peaks.observe(SpoolCensus.take(layout))
                    try? await Task.sleep(for: .seconds(2))
                }
            }
            group.addTask { await server.waitUntilCompleted() }
            // The server ends when stdin closes (the client went away) or on a signal.
            while let _ = await group.next() {
                group.cancelAll()
            }
        }
        await server.stop()
    }
}
