import Foundation
import Logging
import Spool
import Supervision

/// Starts N `spool-worker` processes and keeps them running (`KeptProcess`). A restarted
/// worker keeps its name, so it adopts the jobs its previous life left running.
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
                let name = "\(namePrefix)-\(index)"
                let kept = KeptProcess(
                    name: "worker \(name)", executable: workerPath,
                    arguments: ["--spool", layout.root, "--id", name, "--parent", String(getpid())] + extraArguments,
                    logger: logger, onExit: onWorkerExit)
                group.addTask { await kept.run() }
            }
        }
    }
}
