import ArgumentParser
import Dispatch
import Foundation
import Logging
import Spool
import SpoolOptions
import Supervision

@main
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool-worker",
        abstract: "Claims requests from a Spool directory and runs them.",
        discussion: """
            Run as many as you like on one spool: each claims requests by rename, so every \
            request runs exactly once. SIGTERM or SIGINT stops claiming and lets running \
            jobs finish (up to --shutdown-grace seconds).
            """)

    @Option(help: "The spool directory (env SPOOL_DIR).")
    var spool: String = ProcessInfo.processInfo.environment["SPOOL_DIR"] ?? "./spool"

    @Option(help: "Jobs this worker runs at once (env SPOOL_SLOTS).")
    var slots: Int = Int(ProcessInfo.processInfo.environment["SPOOL_SLOTS"] ?? "") ?? 1

    @Option(help: "This worker's name in active/ and workers/ (default: HOST-PID).")
    var id: String?

    @Option(help: "Seconds between TERM and KILL when a job times out or is cancelled (env SPOOL_KILL_GRACE).")
    var killGrace: Double = Settings.double("SPOOL_KILL_GRACE", Settings.killGrace)

    @Option(help: "Seconds running jobs get to finish after SIGTERM before the worker exits anyway.")
    var shutdownGrace: Double = Settings.shutdownGrace

    @Option(help: "Seconds after which a waiting async request is served like a sync one (env SPOOL_ASYNC_AGING).")
    var asyncAging: Double = Settings.double("SPOOL_ASYNC_AGING", Settings.asyncAging)

    @OptionGroup(title: "Limits")
    var limitOptions: LimitOptions

    @OptionGroup(title: "Job policy (enforced by the kernel; see README, Confining jobs)")
    var policyOptions: PolicyOptions

    @OptionGroup(title: "Many hosts (run jobs from other hosts, through PostgreSQL)")
    var relayOptions: RelayOptions

    @Option(help: .hidden)
    var parent: Int32?

    func validate() throws {
        guard slots >= 1 && slots <= 1024 else { throw ValidationError("--slots must be between 1 and 1024") }
        if let id, WorkerName(id) == nil { throw ValidationError(SpoolError.invalidWorkerName(id).description) }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "spool-worker")
        let layout = SpoolLayout(root: spool)
        let name = WorkerName(id ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())")
            ?? WorkerName("worker-\(getpid())")!
        let supervisor = ProcessInfo.processInfo.environment["SPOOL_SUPERVISOR"]
            ?? Executables.sibling("spool-supervisor")
        guard FileManager.default.isExecutableFile(atPath: supervisor) else {
            throw ValidationError("spool-supervisor not found at \(supervisor): build the whole package (swift build) or set SPOOL_SUPERVISOR")
        }
        let limits = limitOptions.limits
        let report: PolicyReport
        do {
            report = try await PolicyProbe.report(supervisor: supervisor, policy: try policyOptions.policy(), required: policyOptions.required)
        } catch {
            logger.error("\(error)")
            throw ExitCode(3)
        }
        if report.policy.isSet { logger.notice("\(report.description)") }
        let confinement = Confinement(supervisor: supervisor, policy: report.policy)
        // The last recorder of a job's exit when its keeper, supervisor and fork server are
        // all gone (`OrphanReaper`).
        if OrphanReaper.becomeSubreaper() != 0 {
            logger.warning("cannot become a child subreaper (\(String(cString: strerror(errno)))); a job whose keeper, supervisor and fork server all die will be reported lost once its processes end")
        }
        let runner = JobRunner(layout: layout, worker: name, killGrace: killGrace,
                               outputLimit: limits.outputLimit, logger: logger, committer: GroupCommitter(),
                               forkServer: ForkServer(path: supervisor, policyArguments: report.policy.supervisorArguments),
                               confinement: confinement)
        let worker = Worker(layout: layout, name: name, slots: slots, order: QueueOrder(asyncAging: asyncAging),
                            runner: runner, limits: limits, parent: parent, logger: logger)
        let shutdownGrace = self.shutdownGrace
        let signals = SignalWatch([SIGTERM, SIGINT]) {
            Task {
                logger.notice("signal received: no new claims; waiting up to \(shutdownGrace) s for running jobs")
                await worker.drain(grace: shutdownGrace)
                Foundation.exit(0)
            }
        }
        defer { withExtendedLifetime(signals) {} }
        // With --postgres this host also takes jobs from other hosts: the receiving relay
        // claims up to --slots of them into this spool, where this worker runs them.
        let relay = relayOptions.keptRelay(.receive, spool: layout.root, retain: limits.retain, extra: ["--slots", String(slots)], logger: logger)
        let relayTask = relay.map { relay in Task { await relay.run() } }
        defer { relayTask?.cancel() }
        do {
            try await worker.run()
        } catch {
            logger.error("\(error)")
            throw ExitCode.failure
        }
    }
}

