import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import Spool
import SpoolOptions

@main
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool-relay",
        abstract: "Carries jobs between hosts' spools through PostgreSQL.",
        discussion: """
            spool-mcp --postgres starts `spool-relay send` (jobs of this host go to PostgreSQL); \
            spool-worker --postgres starts `spool-relay receive` (jobs from PostgreSQL run here). \
            The URL comes from --postgres or SPOOL_POSTGRES.
            """,
        subcommands: [Send.self, Receive.self])

    /// What both roles take: the spool, the many-hosts settings spool-mcp and spool-worker
    /// pass on (`RelayOptions`, the same flags and SPOOL_* twins), and the retention.
    struct Common: ParsableArguments {
        @Option(help: "The spool directory (env SPOOL_DIR).")
        var spool: String = ProcessInfo.processInfo.environment["SPOOL_DIR"] ?? "./spool"

        @OptionGroup var relay: RelayOptions

        @Option(help: "Seconds finished jobs' rows are kept; 0 = forever (env SPOOL_RETAIN).")
        var retain: Double = Settings.double("SPOOL_RETAIN", Settings.retain)

        @Option(help: .hidden)
        var parent: Int32?

        var hostName: String { relay.hostName }
        var lease: Double { relay.lease }
        var settings: RelaySettings { RelaySettings(lease: relay.lease, poll: relay.relayPoll, retain: retain) }

        func url() throws -> PostgresURL {
            guard let text = relay.postgresURL else {
                throw ValidationError("give the PostgreSQL URL with --postgres or SPOOL_POSTGRES")
            }
            do { return try PostgresURL(parsing: text) } catch { throw ValidationError("--postgres: \(error)") }
        }

        func validate() throws {
            _ = try url()
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hand this host's requests to PostgreSQL and mirror them back.")
        @OptionGroup var common: Common
        @Option(help: "This relay's worker name in active/ and workers/ (default: relay-HOST).")
        var id: String?

        func run() async throws {
            let name = WorkerName(id ?? "relay-\(common.hostName)") ?? WorkerName("relay")!
            try await RelayCommand.serve(common, label: "spool-relay send") { database, logger in
                let relay = SendingRelay(layout: SpoolLayout(root: common.spool), name: name, origin: common.hostName,
                                         database: database, settings: common.settings, logger: logger)
                let wake = relay.wake, origin = common.hostName, notified = relay.notified
                return (["spool_job"], { channel, payload in
                    Trace.step("A notified \(payload.prefix(40))")
                    // "<origin> <id> …": this origin's jobs only.
                    let parts = payload.split(separator: " ", maxSplits: 2)
                    guard parts.count >= 2, parts[0] == origin, let id = JobID(String(parts[1])) else { return }
                    if let row = RemoteJob(notification: payload, origin: origin) { notified.keep(row) }
                    wake.add(.job(id))
                }, { wake.addAll() }, { try await relay.run(watcher: try SpoolWatcher.shared()) })
            }
        }
    }

    struct Receive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run jobs from PostgreSQL in this host's spool.")
        @OptionGroup var common: Common
        @Option(help: "Jobs this host runs at once (claims held at a time).")
        var slots: Int = 1

        func validate() throws {
            guard (1...1024).contains(slots) else { throw ValidationError("--slots must be between 1 and 1024") }
        }

        func run() async throws {
            let slots = slots, url = try common.url()
            let layout = SpoolLayout(root: common.spool)
            try layout.create()
            // The spool remembers the name it serves, and refuses another while jobs of
            // the old one are in it.
            let record = try HostRecord.serve(common.hostName, layout: layout)
            try await RelayCommand.serve(common, label: "spool-relay receive") { database, logger in
                let relay = ReceivingRelay(layout: layout, host: common.hostName, spool: record.spool, slots: slots,
                                           database: database, settings: common.settings, logger: logger)
                let wake = relay.wake, host = common.hostName
                return (["spool_queue", "spool_control"], { channel, payload in
                    Trace.step("B notified \(channel)")
                    if channel == "spool_queue" { wake.add(RelayWake.queued(payload: payload)) }
                    if channel == "spool_control", payload == host { wake.add(.control) }
                }, { wake.addAll() }, {
                    // One name, one relay: held from before the first claim until the end.
                    // Both ends of it are final for this process: it exits (EX_CONFIG, 78)
                    // rather than unwind its PostgreSQL connections, and spool-worker starts
                    // it again after a pause, when the name may be free.
                    let lock: HostLock
                    do {
                        lock = try await HostLock.acquire(url: url, name: host, spool: record.spool, spoolPath: layout.root, slots: slots, logger: logger)
                    } catch let refusal as HostLock.Failure {
                        logger.critical("\(refusal)")
                        Foundation.exit(78)
                    }
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await relay.run(watcher: try SpoolWatcher.shared()) }
                        group.addTask {
                            await lock.lost()
                            logger.error("\(HostLock.Failure.lost(name: host))")
                            Foundation.exit(78)
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                })
            }
        }
    }

    typealias Parts = (channels: [String], notified: @Sendable (String, String) -> Void, gap: @Sendable () -> Void,
                       body: @Sendable () async throws -> Void)

    /// Connects, installs the schema (retrying until PostgreSQL answers), then runs the
    /// relay beside its LISTEN connection until a signal, or until the parent is gone.
    static func serve(_ common: Common, label: String, _ make: (RelayDatabase, Logger) -> Parts) async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var configuredLogger = Logger(label: label)
        configuredLogger.logLevel = .info
        let logger = configuredLogger
        let url = try common.url()
        let layout = SpoolLayout(root: common.spool)
        try layout.create()
        let client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: Logger(label: "postgres", factory: { _ in SwiftLogNoOpLogHandler() }))
        var configured = RelayDatabase(client: client, logger: Logger(label: "postgres", factory: { _ in SwiftLogNoOpLogHandler() }))
        configured.timeout = max(2, min(10, common.lease / 3))
        let database = configured
        let parts = make(database, logger)
        let listener = NotificationListener(url: url, channels: parts.channels, logger: logger,
                                            onNotification: parts.notified, onGap: parts.gap)
        let parent = common.parent
        let stop = SignalWatch([SIGTERM, SIGINT]) { Foundation.exit(0) }
        defer { withExtendedLifetime(stop) {} }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            group.addTask {
                var delay = 0.2
                while true {
                    do {
                        try await Deadline.run(10, "installing the schema") { try await RelaySchema.install(url, logger: database.logger) }
                        break
                    } catch {
                        logger.warning("PostgreSQL at \(url) not usable yet: \(String(reflecting: error)); retrying in \(delay) s")
                        await Pause.for(.milliseconds(Int64(delay * 1000)))
                        delay = min(delay * 2, 5)
                    }
                }
                try await withThrowingTaskGroup(of: Void.self) { inner in
                    inner.addTask { await listener.run() }
                    inner.addTask { try await parts.body() }
                    try await inner.next()
                    inner.cancelAll()
                }
            }
            if let parent {
                group.addTask {
                    while getppid() == parent { await Pause.for(.seconds(1)) }
                    logger.notice("parent \(parent) is gone; stopping")
                    Foundation.exit(0)
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
