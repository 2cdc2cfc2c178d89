import Foundation
import Logging
import Spool
import Subprocess
import SystemPackage

/// A child process kept running: started, and restarted whenever it ends, with
/// exponential backoff (reset once it has stayed up for a while), until the task running
/// `run()` is cancelled; then it gets TERM, and KILL after `stopGrace`.
/// Spool's workers and relays are kept this way (by spool-mcp, and by spool-worker for
/// its receiving relay): a restarted child keeps its name, so it adopts what its previous
/// life left.
public struct KeptProcess: Sendable {
    public let name: String
    public let executable: String
    public let arguments: [String]
    public let environment: [String: String]
    public let stopGrace: Duration
    public let logger: Logger
    /// Called after each exit, before the restart (so a dead worker's bookkeeping is done at once).
    public let onExit: @Sendable () -> Void

    public init(name: String, executable: String, arguments: [String], environment: [String: String] = [:],
                stopGrace: Duration = .seconds(12), logger: Logger, onExit: @escaping @Sendable () -> Void = {}) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.stopGrace = stopGrace
        self.logger = logger
        self.onExit = onExit
    }

    public func run() async {
        var backoff = 0.1
        while !Task.isCancelled {
            let started = ContinuousClock.now
            var options = PlatformOptions()
            options.teardownSequence = [.send(signal: .terminate, allowedDurationToNextStep: stopGrace)]
            var overrides: [Environment.Key: String?] = [:]
            for (key, value) in environment { overrides[Environment.Key(stringLiteral: key)] = value }
            do {
                let result = try await Subprocess.run(
                    .path(FilePath(executable)),
                    arguments: Arguments(arguments),
                    environment: .inherit.updating(overrides),
                    platformOptions: options,
                    input: .none,
                    output: .discarded,
                    error: .fileDescriptor(.standardError, closeAfterSpawningProcess: false))
                if Task.isCancelled { return }
                logger.warning("\(name) exited (\(result.terminationStatus)); restarting in \(backoff) s")
            } catch {
                if Task.isCancelled { return }
                logger.error("cannot start \(name) (\(executable)): \(error); retrying in \(backoff) s")
            }
            onExit()
            if ContinuousClock.now - started > .seconds(30) { backoff = 0.1 }
            await Pause.for(.seconds(backoff))
            backoff = min(backoff * 2, 10)
        }
    }
}
