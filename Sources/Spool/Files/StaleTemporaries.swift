import Glibc

/// What a process left in `tmp/` when it died in the middle of a write or a retirement:
/// `AtomicFile`'s `<pid>-<n>.tmp` (written but not yet renamed into place, or the old file
/// a replacing write swapped out) and retention's `retired-<id>.json` (a retired job's
/// request; its folder may still be in `jobs/`). Nothing renames them later, so they would
/// stay for good; workers remove them in their periodic pass.
public enum StaleTemporaries {
    /// A name in `tmp/` that a writer makes.
    public enum Entry: Equatable, Sendable {
        /// `AtomicFile`'s, made by process `writer`.
        case written(writer: Int32)
        /// Retention's, for job `id`.
        case retired(JobID)

        public init?(name: String) {
            if name.hasPrefix(Self.retiredPrefix) {
                guard let id = JobID(fileName: String(name.dropFirst(Self.retiredPrefix.count))) else { return nil }
                self = .retired(id)
                return
            }
            guard name.hasSuffix(".tmp") else { return nil }
            let parts = name.dropLast(4).split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let pid = Int32(parts[0]), pid > 0, UInt64(parts[1]) != nil else { return nil }
            self = .written(writer: pid)
        }

        static let retiredPrefix = "retired-"
    }

    /// A write or a retirement takes milliseconds: an entry untouched for a minute was left
    /// behind (a writer of that age must also be gone; one that is not keeps its file).
    public static let minimumAge = 60.0

    /// Whether `entry`, whose name last changed `age` seconds ago, was left behind.
    public static func isStale(_ entry: Entry, age: Double, minimumAge: Double = minimumAge,
                               writerAlive: (Int32) -> Bool) -> Bool {
        guard age >= minimumAge else { return false }
        switch entry {
        case .written(let writer): return !writerAlive(writer)
        case .retired: return true
        }
    }

    /// Removes what was left behind in `tmp/` (a retired job's folder, and its session's if
    /// it opened one, with its request) and returns how many entries went.
    @discardableResult
    public static func sweep(_ layout: SpoolLayout, minimumAge: Double = minimumAge,
                             writerAlive: (Int32) -> Bool = isRunning) -> Int {
        var removed = 0
        for name in FileSystem.list(layout.tmp) {
            let path = layout.tmp + "/" + name
            // The inode's change time: a rename sets it, and a retired request's or a
            // swapped-out status's modification time is as old as the job.
            guard let entry = Entry(name: name), let age = FileSystem.age(path, since: .change),
                  isStale(entry, age: age, minimumAge: minimumAge, writerAlive: writerAlive) else { continue }
            if case .retired(let id) = entry {
                Retention.remove(id, request: path, layout: layout)
            } else {
                FileSystem.removeEntry(path)
            }
            removed += 1
        }
        return removed
    }

    /// Whether a process `pid` exists (a reused pid counts: the file is then kept).
    public static func isRunning(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno != ESRCH }
}
