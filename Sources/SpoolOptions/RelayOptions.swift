import ArgumentParser
import Foundation
import Logging
import Spool
import Supervision

/// The many-hosts settings of spool-mcp (the sending relay) and spool-worker (the
/// receiving relay), handed to the `spool-relay` each of them starts and keeps running.
public struct RelayOptions: ParsableArguments, Sendable {
    @Option(help: "PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DB) through which jobs go to and come from other hosts (env SPOOL_POSTGRES).")
    public var postgres: String?

    @Option(help: "This host's name in PostgreSQL; a worker host must keep it across restarts to recover its claims (env SPOOL_HOST; default: the host name).")
    public var host: String?

    @Option(help: "Seconds a worker host's claim is good for without renewal; past it its jobs are lost or retried (env SPOOL_LEASE).")
    public var lease: Double = Settings.double("SPOOL_LEASE", 30)

    @Option(help: "Seconds between looks at PostgreSQL when no notification arrives (env SPOOL_RELAY_POLL).")
    public var relayPoll: Double = Settings.double("SPOOL_RELAY_POLL", 2)

    public init() {}

    public var postgresURL: String? { postgres ?? Settings.environment("SPOOL_POSTGRES") }
    public var hostName: String { host ?? Settings.environment("SPOOL_HOST") ?? ProcessInfo.processInfo.hostName }

    public func validate() throws {
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        guard relayPoll >= 0.05, relayPoll <= lease else { throw ValidationError("--relay-poll must be from 0.05 s to the lease") }
        guard !hostName.isEmpty, hostName.utf8.count <= 200, !hostName.contains(" ") else {
            throw ValidationError("--host must be 1 to 200 characters without spaces")
        }
    }

    /// The arguments for `spool-relay send|receive`, without the URL (it goes in the
    /// environment, so a password never shows in `ps`).
    public var relayArguments: [String] {
        ["--host", hostName, "--lease", String(lease), "--relay-poll", String(relayPoll)]
    }

    /// Which side of the exchange a `spool-relay` serves.
    public enum Role: String, Sendable {
        /// spool-mcp's: this host's requests go to PostgreSQL.
        case send
        /// spool-worker's: jobs from PostgreSQL run in this host's spool.
        case receive
    }

    /// The `spool-relay` this process keeps running with `--postgres` (nil without), as a
    /// child that stops with it (`--parent`) and is restarted when it dies.
    /// - Parameter extra: the role's own arguments (`--slots N` for a receiving relay).
    public func keptRelay(_ role: Role, spool: String, retain: Double, extra: [String] = [], logger: Logger) -> KeptProcess? {
        postgresURL.map { url in
            KeptProcess(
                name: role == .send ? "sending relay" : "receiving relay", executable: Executables.sibling("spool-relay"),
                arguments: [role.rawValue, "--spool", spool, "--parent", String(getpid()), "--retain", String(retain)] + extra + relayArguments,
                environment: ["SPOOL_POSTGRES": url], stopGrace: .seconds(3), logger: logger)
        }
    }
}
