import Dispatch
import Glibc
import Synchronization

/// Makes deferred writes durable in shared rounds (group commit): one `fdatasync` per
/// file and one `fsync` per folder per round, however many callers wait on it.
///
/// DESIGN.md, Lifecycle: a reply that hands out a job id is sent only after `commit`
/// returns; anything else is flushed with `commitLater`, off every reply's path.
public final class GroupCommitter: Sendable {
    typealias Waiter = CheckedContinuation<Result<Void, SpoolError>, Never>
    private let queue = Mutex(GroupCommitQueue<Waiter>())
    private let roundCount = Atomic<Int>(0)
    private let fileCount = Atomic<Int>(0)

    public init() {}

    /// Rounds run so far, and the files they flushed.
    public var rounds: Int { roundCount.load(ordering: .relaxed) }
    public var filesFlushed: Int { fileCount.load(ordering: .relaxed) }

    /// Returns once `sync` is on disk (in the round after the one running now, at the latest).
    public func commit(_ sync: PendingSync) async throws(SpoolError) {
        let result = await withCheckedContinuation { (waiter: Waiter) in
            if queue.withLock({ $0.add(sync, waiter: waiter) }) { startRounds() }
        }
        try result.get()
    }

    /// Flushes `sync` in the next round; nobody waits for it (a failure is logged).
    public func commitLater(_ sync: PendingSync) {
        if queue.withLock({ $0.add(sync, waiter: nil) }) { startRounds() }
    }

    /// Runs rounds until none is left. Started by whoever found the committer idle, on a
    /// thread of its own: a flush blocks for a millisecond or more, which must hold neither
    /// the caller (a tool call or a job's bookkeeping) nor one of Swift's few cooperative
    /// threads.
    private func startRounds() {
        Self.flusher.async { [self] in
            while let entries = queue.withLock({ $0.nextRound() }) {
                let results = Self.flush(FlushRound(entries.map(\.sync)))
                roundCount.add(1, ordering: .relaxed)
                fileCount.add(entries.count, ordering: .relaxed)
                for (entry, result) in zip(entries, results) {
                    if let waiter = entry.waiter {
                        waiter.resume(returning: result)
                    } else if case .failure(let error) = result {
                        SpoolLog.logger.error("cannot flush \(entry.sync.path) to disk: \(error); it survives a crash of Spool's processes, but not a power cut")
                    }
                }
            }
        }
    }

    private static let flusher = DispatchQueue(label: "spool.group-commit")

    static func flush(_ round: FlushRound) -> [Result<Void, SpoolError>] {
        var fileErrors: [Int: SpoolError] = [:]
        for (index, file) in round.files.enumerated() where fdatasync(file.file.fd) != 0 {
            fileErrors[index] = .io(operation: "flushing to disk", path: file.path, errno: errno)
        }
        var directoryErrors: [String: SpoolError] = [:]
        for directory in round.directories {
            let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd < 0 || fsync(fd) != 0 {
                directoryErrors[directory] = .io(operation: "flushing the folder to disk", path: directory, errno: errno)
            }
            if fd >= 0 { close(fd) }
        }
        return round.results(fileErrors: fileErrors, directoryErrors: directoryErrors)
    }
}
