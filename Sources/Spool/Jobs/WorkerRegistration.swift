import Foundation
import Glibc

/// A worker's presence in the spool: the flock on `workers/<name>.lock` (held for the
/// process's whole life; liveness is this lock) and `workers/<name>.json` for people.
public final class WorkerRegistration: Sendable {
    public let layout: SpoolLayout
    public let record: WorkerRecord
    private let lock: FileLock

    public enum Failure: Error, CustomStringConvertible {
        case nameTaken(WorkerName)
        public var description: String {
            switch self {
            case .nameTaken(let name):
                "another spool-worker named '\(name)' is running on this spool; pick another --id or omit it"
            }
        }
    }

    public init(layout: SpoolLayout, name: WorkerName, slots: Int) throws {
        self.layout = layout
        guard let lock = try FileLock.tryAcquire(layout.workerLock(name)) else { throw Failure.nameTaken(name) }
        self.lock = lock
        let now = Timestamp.now
        record = WorkerRecord(worker: name, pid: getpid(), host: ProcessInfo.processInfo.hostName,
                              slots: slots, startedAt: now, heartbeat: now)
        try FileSystem.makeDirectory(layout.active(worker: name))
        try heartbeat()
    }

    /// - Parameter hosts: a sending relay's view of the worker hosts and when it was read,
    ///   for people.
    public func heartbeat(hosts: (list: [RemoteHost], at: Timestamp)? = nil) throws {
        var current = record
        current.heartbeat = .now
        current.hosts = hosts?.list
        current.hostsAt = hosts?.at
        // Swapped in, not renamed over the last one: ext4 would flush it every time.
        try AtomicFile.write(json: current, to: layout.workerRecord(record.worker), layout: layout, durable: false, replacing: true)
    }

    /// Called on a clean exit. The lock file is unlinked while still held, so no one can
    /// mistake it for a live lock (see `FileLock.tryAcquire`); the lock goes with the process.
    public func unregister() {
        FileSystem.remove(layout.workerRecord(record.worker))
        rmdir(layout.active(worker: record.worker))
        FileSystem.remove(layout.workerLock(record.worker))
    }
}
