import Foundation

/// Every path in a spool directory. Nothing else in Spool builds a spool path by hand,
/// so the layout documented in DESIGN.md and the README is exactly this file.
public struct SpoolLayout: Sendable, Hashable {
    /// Absolute path of the spool root (no trailing slash).
    public let root: String

    public init(root: String) {
        var path = root
        if !path.hasPrefix("/") {
            path = FileManager.default.currentDirectoryPath + "/" + path
        }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.root = path
    }

    public var tmp: String { root + "/tmp" }
    public var queue: String { root + "/queue" }
    public func queue(_ priority: Priority) -> String { queue + "/" + priority.rawValue }
    public func queued(_ id: JobID, _ priority: Priority) -> String {
        queue(priority) + "/" + id.fileName
    }
    public var active: String { root + "/active" }
    public func active(worker: WorkerName) -> String { active + "/" + worker.rawValue }
    public func active(_ id: JobID, worker: WorkerName) -> String {
        active(worker: worker) + "/" + id.fileName
    }
    public var done: String { root + "/done" }
    public func done(_ id: JobID) -> String { done + "/" + id.fileName }
    public var jobs: String { root + "/jobs" }
    public func job(_ id: JobID) -> String { jobs + "/" + id.rawValue }
    public func job(_ id: JobID, _ file: JobFile) -> String { job(id) + "/" + file.rawValue }
    public var workers: String { root + "/workers" }
    public func workerRecord(_ name: WorkerName) -> String { workers + "/" + name.rawValue + ".json" }
    public func workerLock(_ name: WorkerName) -> String { workers + "/" + name.rawValue + ".lock" }
    public var sessions: String { root + "/sessions" }
    public var bad: String { root + "/bad" }
    public var stats: String { root + "/stats.json" }

    /// The folders that must exist before anyone writes into the spool.
    public var directories: [String] {
        [root, tmp, queue, queue(.sync), queue(.async), active, done, jobs, workers, sessions, bad]
    }

    /// Creates the spool's folders (like `mkdir -p`); safe to call from every process.
    public func create() throws(SpoolError) {
        for directory in directories {
            try FileSystem.makeDirectory(directory)
        }
    }
}

/// The files a job folder (`jobs/<id>/`) may hold. The folder itself is held with flock
/// by the job's supervisor for as long as the command runs.
public enum JobFile: String, Sendable, CaseIterable {
    /// Hard link to the request as it was claimed.
    case request = "request.json"
    case status = "status.json"
    case stdout
    case stderr
    /// One-shot input given as `stdin` in the request.
    case stdin
    /// Written atomically by the supervisor when the command has ended.
    case exit = "exit.json"
    /// Present when someone asked for the job to be cancelled.
    case cancel
}
