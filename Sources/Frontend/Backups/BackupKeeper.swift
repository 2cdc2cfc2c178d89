import Foundation
import Logging
import Spool

/// Backs up one work tree (`--backup`): a snapshot once the tree has been idle for
/// `--backup-idle` (the first one also covers what changed before spool-mcp started), and,
/// with `--backup-before-jobs`, one before each job whose cwd is inside it. Every backup (or skipped one) is told to the
/// listeners: MCP sessions (`notifications/message`) and the `/events` journal.
///
/// When a snapshot is due is `BackupSchedule`'s decision; git is `BackupRepository`'s.
/// This actor watches the tree, runs one snapshot at a time, and waits (never forcibly)
/// for the user's git to release `index.lock`.
actor BackupKeeper {
    enum Result: Sendable {
        case committed(BackupRecord)
        /// Nothing changed since the newest backup, `commit`.
        case unchanged(commit: String?)
        case skipped(BackupError)
    }

    /// `notifications/message` data; `event` as in session notices, `type` as on `/events`.
    struct Notice: Codable, Sendable {
        var type: String
        var event: String?
        var commit: String?
        var filesChanged: Int?
        var trigger: BackupTrigger
        var job: JobID?
        var time: String?
        var reason: String?
        var skippedFiles: [String]?
    }

    let repository: BackupRepository
    let watcher: SpoolWatcher
    let beforeJobs: Bool
    let logger: Logger
    /// How long a snapshot waits for the user's git to release `index.lock`.
    let lockWait: Duration
    private var schedule: BackupSchedule<ContinuousClock>
    private var listeners: [Int: @Sendable (Notice) async -> Void] = [:]
    private var nextListener = 0
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var kick: AsyncStream<Void>.Continuation?
    /// Most folders watched for changes (each costs an inotify watch).
    static let folderLimit = 20_000

    /// Folders inside the tree whose changes are not the user's (the spool, when it lives
    /// in the tree): the process's watcher reports them to every subscriber.
    let excluded: [String]

    init(repository: BackupRepository, watcher: SpoolWatcher, idle: Duration, beforeJobs: Bool, excluding excluded: [String] = [],
         lockWait: Duration = .seconds(10), logger: Logger) {
        self.repository = repository
        self.excluded = excluded
        self.watcher = watcher
        self.beforeJobs = beforeJobs
        self.lockWait = lockWait
        self.logger = logger
        schedule = BackupSchedule(idle: idle)
    }

    nonisolated var workTree: String { repository.workTree }

    func addListener(_ listener: @escaping @Sendable (Notice) async -> Void) -> Int {
        defer { nextListener += 1 }
        listeners[nextListener] = listener
        return nextListener
    }

    func removeListener(_ id: Int) { listeners[id] = nil }

    /// Whether a job in `cwd` gets a backup first.
    nonisolated func coversJob(in cwd: String) -> Bool {
        guard beforeJobs else { return false }
        return WatchRoots.isInside(URL(fileURLWithPath: cwd).resolvingSymlinksInPath().path, folder: repository.workTree)
    }

    // MARK: the schedule

    /// Watches the tree and takes the idle backups until cancelled.
    func run() async {
        let events = watcher.events()
        let (kicks, kick) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.kick = kick
        await watchTree()
        // Whatever changed before the watches were in place is looked at after one idle
        // period, as any change would be (nothing is committed if git already has it).
        schedule.changed(at: .now)
        let watch = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                await self.observe(event)
            }
        }
        defer { watch.cancel() }
        var wake = kicks.makeAsyncIterator()
        while !Task.isCancelled {
            guard let due = schedule.nextWake else {
                guard await wake.next() != nil else { return }
                continue
            }
            let now = ContinuousClock.now
            if due > now {
                await Pause.for(due - now) // later changes move `due`; it is read again after
                continue
            }
            if schedule.due(at: now) { _ = await snapshot(trigger: .idle, scheduled: true) }
        }
    }

    private func observe(_ event: WatchEvent) async {
        if WatchRoots.isInside(event.directory, folder: repository.gitDirectory) { return } // git's own files
        if event.isOverflow { return changed() }
        guard isInTree(event.directory), !excluded.contains(where: { WatchRoots.isInside(event.directory, folder: $0) }) else { return }
        guard event.path != repository.workTree else { return changed() }
        let relative = String(event.path.dropFirst(repository.workTree.count + 1))
        if event.name == ".gitignore" { ignoredCache.removeAll() } // the rules changed
        let newFolder = event.isDirectory && (event.isCreation || event.isArrival) && event.name != ".git"
        switch ignoredCache[relative] {
        case true?: return // an ignored log that keeps growing does not hold backups off
        case false?: await notIgnored(relative, newFolder: newFolder)
        case nil:
            unchecked.append((relative, newFolder))
            if !checkScheduled {
                checkScheduled = true
                // A burst of new files is asked about in one git call.
                Task { [weak self] in
                    await Pause.for(.milliseconds(20))
                    await self?.checkIgnored()
                }
            }
        }
    }

    private func changed() {
        schedule.changed(at: .now)
        kick?.yield()
    }

    private func notIgnored(_ relative: String, newFolder: Bool) async {
        if newFolder { await watchFolders(from: repository.workTree + "/" + relative, ignored: []) }
        changed()
    }

    /// Which paths git ignores, remembered per path (files and folders met in events).
    private var ignoredCache: [String: Bool] = [:]
    private var unchecked: [(path: String, newFolder: Bool)] = []
    private var checkScheduled = false

    /// Asks `git check-ignore` about the paths seen since the last time; an answer git
    /// cannot give counts as "not ignored", so a change is never missed for it.
    private func checkIgnored() async {
        let batch = unchecked
        unchecked.removeAll()
        checkScheduled = false
        guard !batch.isEmpty else { return }
        let input = Array(batch.map(\.path).joined(separator: "\0").utf8) + [0]
        let output = try? await repository.git.run(["check-ignore", "--stdin", "-z"], input: input)
        let ignored = output.map { $0.status <= 1 ? Set($0.stdout.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }) : [] } ?? []
        if ignoredCache.count > 50_000 { ignoredCache.removeAll() }
        for (path, newFolder) in batch {
            let isIgnored = ignored.contains(path)
            ignoredCache[path] = isIgnored
            if !isIgnored { await notIgnored(path, newFolder: newFolder) }
        }
    }

    private func isInTree(_ path: String) -> Bool { WatchRoots.isInside(path, folder: repository.workTree) }

    private var watchedFolders = 0

    /// Watches every folder of the tree but `.git` and folders git ignores.
    private func watchTree() async {
        let listed = (try? await repository.git.run(["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"]))?.stdout ?? [] // unknown: every folder is watched
        let ignored = Set(listed.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            .filter { $0.hasSuffix("/") }.map { repository.workTree + "/" + $0.dropLast() })
        await watchFolders(from: repository.workTree, ignored: ignored)
    }

    private func watchFolders(from top: String, ignored: Set<String>) async {
        var pending = [top]
        while let folder = pending.popLast() {
            guard watchedFolders < Self.folderLimit else {
                logger.warning("backups: more than \(Self.folderLimit) folders under \(repository.workTree); changes deeper are seen only by the next snapshot")
                return
            }
            do {
                try await watcher.watch(folder, mask: WatchMask.contents)
                watchedFolders += 1
            } catch {
                logger.warning("backups: cannot watch \(folder): \(error)")
                continue
            }
            for name in FileSystem.list(folder) where name != ".git" {
                let path = folder + "/" + name
                if !ignored.contains(path), FileKind.of(path) == .directory { pending.append(path) }
            }
        }
    }

    // MARK: snapshots

    /// Takes a backup now (one at a time; a second caller waits for the first).
    func snapshot(trigger: BackupTrigger, job: JobID? = nil, scheduled: Bool = false) async -> Result {
        await acquire()
        defer { release() }
        if !scheduled { schedule.snapshotStarted(at: .now) }
        let result = await takeSnapshot(trigger: trigger, job: job)
        switch result {
        case .committed(let record):
            schedule.snapshotFinished(.taken, at: .now)
            logger.info("backup \(record.commit.prefix(12)): \(record.filesChanged) files changed (\(trigger.rawValue))")
            await tell(Notice(type: "backup_completed", commit: record.commit, filesChanged: record.filesChanged, trigger: trigger,
                              job: job, time: record.time, skippedFiles: record.skippedFiles))
        case .unchanged:
            schedule.snapshotFinished(.taken, at: .now)
        case .skipped(let error):
            schedule.snapshotFinished(.retryLater, at: .now)
            logger.warning("backup skipped: \(error)")
            await tell(Notice(type: "backup_skipped", trigger: trigger, job: job, time: Timestamp.now.description, reason: error.description))
        }
        return result
    }

    private func takeSnapshot(trigger: BackupTrigger, job: JobID?) async -> Result {
        if repository.rebaseInProgress { return .skipped(.rebaseInProgress(gitDirectory: repository.gitDirectory)) }
        guard await indexLockReleased() else {
            return .skipped(.indexLocked(path: repository.indexLock, seconds: Int(lockWait.components.seconds)))
        }
        do {
            if let record = try await repository.backup(trigger: trigger, job: job) { return .committed(record) }
            return .unchanged(commit: try await repository.latest())
        } catch {
            return .skipped(error)
        }
    }

    /// Waits (on inotify, at most `lockWait`) until no git command holds the user's
    /// `index.lock`; it is never removed here, even when it looks stale.
    private func indexLockReleased() async -> Bool {
        let lock = repository.indexLock
        guard FileSystem.exists(lock) else { return true }
        let events = watcher.events()
        try? await watcher.watch(repository.gitDirectory, mask: WatchMask.departures) // without it, the timeout below still ends the wait
        guard FileSystem.exists(lock) else { return true }
        let wait = lockWait
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await event in events where event.isOverflow || (event.directory == (lock as NSString).deletingLastPathComponent && event.name == "index.lock") {
                    if !FileSystem.exists(lock) { return true }
                }
                return false
            }
            group.addTask {
                await Pause.for(wait)
                return !FileSystem.exists(lock)
            }
            let released = await group.next() ?? false
            group.cancelAll()
            return released
        }
    }

    private func tell(_ notice: Notice) async {
        var notice = notice
        notice.event = notice.type
        for listener in listeners.values { await listener(notice) }
    }

    private func acquire() async {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
    }

    private func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }

    // MARK: tools

    func list(limit: Int) async throws(BackupError) -> [BackupRecord] {
        try await repository.list(limit: limit)
    }

    struct Diff: Codable, Sendable {
        var backup: String
        var files: [BackupRepository.Change]
        var patch: String
        var truncated: Bool
    }

    /// What changed between a backup (default: the newest) and the tree now.
    func diff(_ backup: String?) async throws(BackupError) -> Diff {
        let commit: String
        if let backup { commit = try await repository.resolve(backup) } else {
            guard let latest = try await repository.latest() else { throw .noBackups }
            commit = latest
        }
        let now = try await repository.currentTree()
        let files = try await repository.changes(from: commit, to: now.tree)
        let (patch, truncated) = try await repository.patch(from: commit, to: now.tree, limit: 256 << 10)
        return Diff(backup: commit, files: files, patch: patch, truncated: truncated)
    }

    struct Restore: Codable, Sendable {
        var backup: String
        var path: String?
        var filesWritten: Int
        var filesRemoved: [String]
        /// The backup of the state just before the restore: restore it to undo this one.
        var undo: String?
    }

    /// Brings the tree, or one path, back from a backup, after backing up what is there
    /// now; without that backup there is no restore.
    func restore(_ backup: String, path: String?) async throws(BackupError) -> Restore {
        let commit = try await repository.resolve(backup)
        // The tree's own top folder (or ".") means the whole tree.
        let relative = try path.map { (path: String) throws(BackupError) in try repository.relativePath(path) }.flatMap { $0.isEmpty ? nil : $0 }
        let before: String?
        switch await snapshot(trigger: .restore) {
        case .committed(let record): before = record.commit
        case .unchanged(let latest): before = latest
        case .skipped(let error): throw error
        }
        await acquire()
        defer { release() }
        let current = try await repository.git.text(["rev-parse", (before ?? commit) + "^{tree}"])
        let restored = try await repository.restore(commit, path: relative, current: current)
        return Restore(backup: commit, path: relative, filesWritten: restored.written, filesRemoved: restored.removed, undo: before)
    }
}
