import CSpoolFiles
import Glibc
import Synchronization

/// Inodes of retired jobs, kept in `tmp/spare/` for new ones, so that on a long-used disk a
/// job's files cost renames instead of new inodes.
///
/// Why: on this machine's root ext4 (no journal), a new inode costs 0.14–0.28 ms of CPU, far
/// more than a rename (10 µs), because the allocator passes over every inode freed in the
/// last minutes (`recently_deleted`); a job makes six. Retention frees inodes in batches,
/// which is what makes the next allocations slow. Instead, retention empties a retired
/// job's files and keeps them here (`recycle`), up to `limit`; new jobs take them.
///
/// Any process takes spares, and a rename decides who got one: the loser's rename fails
/// with ENOENT and it tries the next. Each process remembers the names it listed, and lists
/// the folder again only when they have run out.
public enum SpareInodes {
    public enum Kind: String, Sendable {
        /// An empty regular file: a request or a status written whole.
        case file
        /// A job folder with empty `stdout`, `stderr` and exit record reserve.
        case job
    }

    /// Spares kept at most (both kinds; each worker's sweep counts them once, so two
    /// sweeping at once may keep up to twice as many): about 2,000 jobs' worth, 8 MB of
    /// empty folders. Beyond it, retention removes as before.
    public static let limit = 6_000

    /// The names a job folder spare holds, as a job's keeper opens them.
    static let folderFiles = JobStream.allCases.map(\.file.rawValue) + [JobFile.exitReserve.rawValue]

    private struct Listed {
        var names: [Kind: [String]] = [:]
        /// When the folder was last listed and had none of a kind: not again for a second.
        var emptyAt: [Kind: ContinuousClock.Instant] = [:]
    }

    private static let listed = Mutex<[String: Listed]>([:])

    /// Takes a spare job folder as `path` (a new `jobs/<id>/`); `.exists` when `path` is
    /// there already (the spare stays one).
    public enum FolderTake { case taken, exists, none }

    public static func takeJobFolder(as path: String, layout: SpoolLayout) -> FolderTake {
        var result = FolderTake.none
        _ = take(.job, layout: layout) { spare in
            if spool_rename_noreplace(spare, path) == 0 {
                // The entry itself was moved (a rename follows no symlink): anything but a
                // folder dropped among the spares is removed, and the next one tried.
                guard FileSystem.isDirectory(path) else {
                    unlink(path)
                    return ENOENT
                }
                result = .taken
                return 0
            }
            let code = errno
            if code == EEXIST { result = .exists }
            return code
        }
        return result
    }

    /// Takes a spare file as `destination` (a name in `tmp/` that only the caller uses);
    /// false when there is none.
    public static func takeFile(as destination: String, layout: SpoolLayout) -> Bool {
        take(.file, layout: layout) { spare in Glibc.rename(spare, destination) == 0 ? 0 : errno }
    }

    /// Tries spares of `kind` with `use` (0 or an errno) until one is used; a spare another
    /// process took meanwhile (ENOENT) is skipped.
    private static func take(_ kind: Kind, layout: SpoolLayout, _ use: (String) -> Int32) -> Bool {
        let folder = layout.spare
        for _ in 0..<64 {
            guard let name = next(kind, in: folder) else { return false }
            let code = use(folder + "/" + name)
            if code == 0 { return true }
            if code != ENOENT {
                if code == EEXIST { listed.withLock { $0[folder, default: Listed()].names[kind, default: []].append(name) } }
                return false
            }
        }
        return false
    }

    private static func next(_ kind: Kind, in folder: String) -> String? {
        if let name = listed.withLock({ $0[folder]?.names[kind]?.popLast() }) { return name }
        let recentlyEmpty = listed.withLock { $0[folder]?.emptyAt[kind].map { $0.duration(to: .now) < .seconds(1) } ?? false }
        if recentlyEmpty { return nil }
        var found: [Kind: [String]] = [:]
        for name in FileSystem.list(folder) {
            if let kind = Kind(name: name) { found[kind, default: []].append(name) }
        }
        return listed.withLock { listed in
            var entry = listed[folder] ?? Listed()
            // In an order of this process's own: processes that listed the same spares
            // (spool-mcp takes files, workers take files and folders) would otherwise try
            // the same ones first, and each lost race costs a failed rename.
            for (each, names) in found { entry.names[each] = names.shuffled() }
            let name = entry.names[kind]?.popLast()
            if name == nil { entry.emptyAt[kind] = .now }
            listed[folder] = entry
            return name
        }
    }

    /// Keeps a retired job's inodes as spares: its folder (emptied down to `stdout`,
    /// `stderr` and the exit record reserve), its status and its request file (`request`,
    /// already renamed out of `done/`). `room` is how many more spares fit; it is reduced
    /// by what was kept. Anything not kept is removed, as retention did before.
    public static func recycle(_ id: JobID, request: String, layout: SpoolLayout, room: inout Int) {
        let folder = layout.job(id)
        guard room >= 3, (try? FileSystem.makeDirectory(layout.spare)) != nil else {
            FileSystem.removeTree(folder)
            FileSystem.remove(request)
            return
        }
        let spare = layout.spare + "/" + id.rawValue
        for name in FileSystem.list(folder) {
            let path = folder + "/" + name
            switch name {
            case JobFile.stdout.rawValue, JobFile.stderr.rawValue, JobFile.exitReserve.rawValue:
                if !FileSystem.empty(path) { FileSystem.removeEntry(path) }
            case JobFile.exit.rawValue:
                if !(FileSystem.empty(path) && Glibc.rename(path, folder + "/" + JobFile.exitReserve.rawValue) == 0) {
                    FileSystem.removeEntry(path)
                }
            case JobFile.status.rawValue:
                keepFile(path, as: spare + "-status" + Kind.file.suffix, room: &room)
            default:
                FileSystem.removeEntry(path) // the request's second link, markers, a FIFO, a private TMPDIR
            }
        }
        // A job that never started has no output files: its folder is no spare.
        let folderKept = folderFiles.allSatisfy { FileSystem.isRegularFile(folder + "/" + $0) }
        if folderKept, Glibc.rename(folder, spare + Kind.job.suffix) == 0 {
            room -= 1
        } else {
            FileSystem.removeTree(folder)
        }
        keepFile(request, as: spare + Kind.file.suffix, room: &room)
    }

    /// Keeps a regular file, emptied, as the spare `spareFile`; removes anything else.
    private static func keepFile(_ path: String, as spareFile: String, room: inout Int) {
        if FileSystem.empty(path), Glibc.rename(path, spareFile) == 0 {
            room -= 1
        } else {
            FileSystem.removeEntry(path)
        }
    }

    /// How many spares there are now (retention's measure of `room`).
    public static func count(_ layout: SpoolLayout) -> Int {
        FileSystem.list(layout.spare).count
    }
}

extension SpareInodes.Kind {
    var suffix: String { "." + rawValue }

    init?(name: String) {
        if name.hasSuffix(".job") { self = .job } else if name.hasSuffix(".file") { self = .file } else { return nil }
    }
}
