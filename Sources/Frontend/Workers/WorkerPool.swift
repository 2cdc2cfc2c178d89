import Foundation
import Logging
import Spool
import Subprocess
import SystemPackage

/// Starts N `spool-worker` processes and restarts any that die, with exponential backoff
/// (reset once a worker has stayed up for a while). A restarted worker keeps its name, so
/// it adopts the jobs its previous life left running.
struct WorkerPool: Sendable {
    let layout: SpoolLayout
    let count: Int
    let workerPath: String
    let namePrefix: String
    let extraArguments: [String]
    let logger: Logger
    /// Called after a worker died, so its bookkeeping is finished at once.
    let onWorkerExit: @Sendable () -> Void

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            for index in 1...max(1, count) where count > 0 {
                group.addTask { await supervise(index: index) }
            }
        }
    }

    private func supervise(index: Int) async {
        let name = "\(namePrefix)-\(index)"
        var backoff = 0.1
        while !Task.isCancelled {
            let started = ContinuousClock.now
            var options = PlatformOptions()
            // On cancellation (spool-mcp shutting down): TERM, and KILL if it lingers.
            options.teardownSequence = [.send(signal: .terminate, allowedDurationToNextStep: .seconds(12))]
            do {
                let result = try await Subprocess.run(
                    .path(FilePath(workerPath)),
                    arguments: Arguments(["--spool", layout.root, "--id", name, "--parent", String(getpid())] + extraArguments),
                    platformOptions: options,
                    input: .none,
                    output: .discarded,
                    error: .fileDescriptor(.standardError, closeAfterSpawningProcess: false))
                if Task.isCancelled { return }
                logger.warning("worker \(name) exited (\(result.terminationStatus)); restarting in \(backoff) s")
            } catch {
                if Task.isCancelled { return }
                logger.error("cannot start worker \(name): \(error); retrying in \(backoff) s")
            }
            onWorkerExit()
            if ContinuousClock.now - started > .seconds(30) { backoff = 0.1 }
            await Pause.for(.seconds(backoff))
            backoff = min(backoff * 2, 10)
        }
    }
}
