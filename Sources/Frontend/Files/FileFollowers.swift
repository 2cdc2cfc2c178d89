import Foundation
import Logging
import Spool

/// Follows watched files by name and records their appends, rotations and truncations as
/// `/events` journal events (`file`, `rotated`, `truncated`).
///
/// Followed are the regular files directly in each root, files and folders an `/events`
/// client named with `?path=`, and files subscribed as `spool://files/` resources. A
/// followed file stays followed (up to `limit` files, the least recently asked for going
/// first), so a client that reconnects with `Last-Event-ID` misses nothing, and after a
/// restart following resumes where the journal says it stopped.
///
/// What to read and announce is `FileFollow`'s decision; this actor does the I/O.
actor FileFollowers {
    private struct Followed {
        /// nil while the name does not exist (yet).
        var file: WatchedFile?
        var follow: FileFollow?
        var lastAsked: UInt64
    }

    let roots: WatchRoots
    let watcher: SpoolWatcher
    let emit: @Sendable ([SpoolEvent]) async -> Void
    let logger: Logger
    /// Most files followed at once (each holds a descriptor).
    let limit: Int
    private var followed: [String: Followed] = [:]
    /// Folders whose regular files are all followed (the roots, and folders asked for).
    private var folders: Set<String> = []
    private var watchedFolders: Set<String> = []
    /// Where the journal says each file's events stopped (restored at start).
    private var resume: [String: (inode: UInt64, offset: Int64)] = [:]
    private var asked: UInt64 = 0
    /// A file event carries at most this many bytes, so one event stays a readable size.
    static let maxEventBytes = 16 << 10

    init(roots: WatchRoots, watcher: SpoolWatcher, limit: Int = 1024, logger: Logger,
         emit: @escaping @Sendable ([SpoolEvent]) async -> Void) {
        self.roots = roots
        self.watcher = watcher
        self.limit = limit
        self.logger = logger
        self.emit = emit
    }

    /// Follows until cancelled, picking up where `history` (the journal) left off.
    func run(history: [SpoolEvent]) async {
        restore(history)
        let events = watcher.events()
        for root in roots.paths { await followFolder(root) }
        for path in resume.keys.sorted() where roots.contains(realPath: (path as NSString).deletingLastPathComponent) {
            await add(path, fromStart: false)
        }
        for await event in events {
            if Task.isCancelled { break }
            await handle(event)
        }
    }

    /// Starts following `path` (a real path inside a root: a file, maybe not there yet, or
    /// a folder whose files are all followed); more calls only mark it as wanted again.
    func follow(_ path: String) async {
        if FileKind.of(path) == .directory { return await followFolder(path) }
        await add(path, fromStart: false)
    }

    private func handle(_ event: WatchEvent) async {
        if event.isOverflow {
            for path in followed.keys.sorted() { await update(path) }
            for folder in folders.sorted() { await addFiles(in: folder, fromStart: false) }
            return
        }
        let path = event.path
        if followed[path] != nil { return await update(path) }
        // A file created in a followed folder: everything in it is news. One renamed in
        // (`app.log` rotated to `app.log.1`) was already told under its old name.
        if folders.contains(event.directory), !event.name.isEmpty, !event.isDirectory,
           event.isCreation || event.isArrival, FileKind.of(path) == .regular {
            await add(path, fromStart: event.isCreation)
        }
    }

    private func followFolder(_ folder: String) async {
        guard !folders.contains(folder) else { return }
        folders.insert(folder)
        await watchFolder(folder)
        await addFiles(in: folder, fromStart: false)
    }

    private func addFiles(in folder: String, fromStart: Bool) async {
        for name in FileSystem.list(folder).sorted() {
            let path = folder == "/" ? "/" + name : folder + "/" + name
            if followed[path] == nil, FileKind.of(path) == .regular { await add(path, fromStart: fromStart) }
        }
    }

    private func watchFolder(_ folder: String) async {
        guard !watchedFolders.contains(folder) else { return }
        do {
            try await watcher.watch(folder, mask: WatchMask.contents)
            watchedFolders.insert(folder)
        } catch {
            logger.warning("files: cannot watch \(folder): \(error); its files are not followed")
        }
    }

    private func add(_ path: String, fromStart: Bool) async {
        asked += 1
        if followed[path] != nil {
            followed[path]?.lastAsked = asked
            return
        }
        if followed.count >= limit, let oldest = followed.min(by: { $0.value.lastAsked < $1.value.lastAsked })?.key {
            logger.notice("files: following more than \(limit) files; \(oldest) is no longer followed")
            followed[oldest] = nil
        }
        await watchFolder((path as NSString).deletingLastPathComponent)
        var entry = Followed(lastAsked: asked)
        var events: [SpoolEvent] = []
        if let file = try? roots.open(path), let identity = file.identity { // not there (yet): followed once it appears
            entry.file = file
            let start: Int64
            if let known = resume.removeValue(forKey: path) {
                if known.inode == identity.inode && known.offset <= identity.size {
                    start = known.offset // what was appended while no one recorded
                } else {
                    start = 0 // replaced while no one recorded
                    events.append(Self.restart(.rotated, path: path, inode: identity.inode, previousOffset: known.offset))
                }
            } else {
                start = fromStart ? 0 : identity.size
            }
            entry.follow = FileFollow(identity, offset: start)
        }
        followed[path] = entry
        await emit(events)
        if entry.follow.map({ $0.offset < (entry.file?.identity?.size ?? 0) }) == true { await update(path) }
    }

    /// Reads what changed in one followed file and records it.
    private func update(_ path: String) async {
        guard var entry = followed[path] else { return }
        var events: [SpoolEvent] = []
        if entry.file == nil || entry.follow == nil {
            // The name appeared: it is followed from its first byte.
            guard let file = try? roots.open(path), let identity = file.identity else { return } // still missing, or no longer allowed
            entry.file = file
            entry.follow = FileFollow(identity, offset: 0)
        }
        guard let file = entry.file, var follow = entry.follow, let held = file.identity else { return }
        var current = file
        var rotatedFrom: Int64?
        let actions = follow.observe(held: held, named: FileIdentity(path: path))
        let leaving = actions.contains { if case .rotated = $0 { true } else if case .removed = $0 { true } else { false } }
        for action in actions {
            switch action {
            case .read(let from, let to):
                events += chunks(of: current, path: path, from: from, to: to, holdBack: !leaving, follow: &follow)
            case .truncated(let previous):
                events.append(Self.restart(.truncated, path: path, inode: held.inode, previousOffset: previous))
            case .rotated(let previousEnd):
                rotatedFrom = previousEnd
            case .reopen:
                guard let next = try? roots.open(path), let identity = next.identity else {
                    logger.warning("files: \(path) was replaced by a file that cannot be read here; following stops until it can")
                    break
                }
                events.append(Self.restart(.rotated, path: path, inode: identity.inode, previousOffset: rotatedFrom))
                current = next
                entry.file = next
                for read in follow.reopened(identity) {
                    if case .read(let from, let to) = read {
                        events += chunks(of: next, path: path, from: from, to: to, holdBack: true, follow: &follow)
                    }
                }
            case .removed:
                break // the held file is kept: the writer may still append to it
            }
        }
        entry.follow = follow
        followed[path] = entry
        await emit(events)
    }

    /// A `rotated` or `truncated` event: following goes on at offset 0 of `inode`.
    private static func restart(_ type: SpoolEventType, path: String, inode: UInt64, previousOffset: Int64?) -> SpoolEvent {
        var event = SpoolEvent(type: type)
        event.path = path
        event.inode = inode
        event.offset = 0
        event.previousOffset = previousOffset
        return event
    }

    /// `file` events for `from..<to` of the file, each at most `maxEventBytes`; with
    /// `holdBack`, a UTF-8 character whose last bytes are not written yet waits for them.
    private func chunks(of file: WatchedFile, path: String, from: Int64, to: Int64, holdBack: Bool, follow: inout FileFollow) -> [SpoolEvent] {
        var events: [SpoolEvent] = []
        var offset = from
        let inode = file.identity?.inode
        while offset < to {
            guard var bytes = try? file.read(offset: offset, limit: Int(min(Int64(Self.maxEventBytes), to - offset))), !bytes.isEmpty else {
                break // shrank meanwhile: the next change is looked at anew
            }
            let atEnd = offset + Int64(bytes.count) >= to
            if !atEnd || holdBack {
                let cut = UTF8Boundary.incompleteSuffix(bytes.suffix(4))
                if cut >= bytes.count { break }
                bytes.removeLast(cut)
            }
            var event = SpoolEvent(type: .file)
            event.path = path
            event.inode = inode
            event.offset = offset
            event.length = Int64(bytes.count)
            (event.data, event.dataBase64) = TextOrBase64(bytes).pair
            events.append(event)
            offset += Int64(bytes.count)
        }
        follow.handedOut(upTo: offset)
        return events
    }

    private func restore(_ history: [SpoolEvent]) {
        for event in history where event.type.isFileEvent {
            guard let path = event.path, let inode = event.inode else { continue }
            switch event.type {
            case .file: resume[path] = (inode, (event.offset ?? 0) + (event.length ?? 0))
            default: resume[path] = (inode, event.offset ?? 0)
            }
        }
    }
}
