import Foundation
import Spool

/// The git side of backups: snapshots of a work tree committed onto `refs/spool/backups`
/// through a temporary index, and the diffs and restores that read them back.
///
/// The user's HEAD, branch, index and stash are never written: every command that needs
/// an index gets a private one (`GIT_INDEX_FILE`, seeded with the last snapshot's index,
/// or a copy of the user's, so unchanged files are not hashed again), and the only ref
/// written is ours.
struct BackupRepository: Sendable {
    static let ref = "refs/spool/backups"
    /// Files larger than this are left out of a snapshot (and named in its notice).
    static let maxFileBytes: Int64 = 50 << 20

    let git: Git
    /// The work tree's top folder (a real path).
    let workTree: String
    let gitDirectory: String

    /// - Throws: `notAWorkTree` or `notTopLevel` when `path` is not the top of a work tree.
    static func open(_ path: String) async throws(BackupError) -> BackupRepository {
        let git = Git(workTree: path)
        let output = try await git.run(["rev-parse", "--show-toplevel", "--absolute-git-dir", "--is-bare-repository"])
        guard output.status == 0 else {
            throw .notAWorkTree(path: path, detail: output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let lines = output.text.split(separator: "\n").map(String.init)
        guard lines.count == 3, lines[2] == "false" else { throw .notAWorkTree(path: path, detail: "a bare repository has no work tree") }
        let top = (try? FileManager.default.destinationOfSymbolicLink(atPath: lines[0])) ?? lines[0]
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard URL(fileURLWithPath: top).resolvingSymlinksInPath().path == real else { throw .notTopLevel(path: path, topLevel: top) }
        return BackupRepository(git: git, workTree: real, gitDirectory: lines[1])
    }

    var indexLock: String { gitDirectory + "/index.lock" }

    /// A rebase keeps the tree in a state no one chose; it is not backed up.
    var rebaseInProgress: Bool {
        FileSystem.exists(gitDirectory + "/rebase-merge") || FileSystem.exists(gitDirectory + "/rebase-apply")
    }

    /// The newest backup's commit, if there is one.
    func latest() async throws(BackupError) -> String? {
        let output = try await git.run(["rev-parse", "-q", "--verify", Self.ref + "^{commit}"])
        return output.status == 0 ? output.text : nil
    }

    // MARK: snapshot

    struct Snapshot: Sendable {
        var tree: String
        var skippedFiles: [String]
    }

    /// The tree as it is now (tracked and untracked files, not ignored ones), written
    /// into the object store but committed nowhere.
    func currentTree() async throws(BackupError) -> Snapshot {
        try await withTemporaryIndex(seed: true, keep: true) { (index: Git) throws(BackupError) -> Snapshot in
            let listed = try await index.checked(["ls-files", "-z", "--cached", "--others", "--exclude-standard"]).stdout
            let paths = listed.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            let large = Set(paths.filter { path in
                var info = stat()
                return lstat(workTree + "/" + path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && Int64(info.st_size) > Self.maxFileBytes
            })
            if large.isEmpty {
                _ = try await index.checked(["add", "-A", "--", "."])
            } else {
                let kept = paths.filter { !large.contains($0) }
                if !kept.isEmpty {
                    _ = try await index.checked(["--literal-pathspecs", "add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul"],
                                                input: Array(kept.joined(separator: "\0").utf8))
                }
            }
            return Snapshot(tree: try await index.text(["write-tree"]), skippedFiles: large.sorted())
        }
    }

    /// Commits the tree as it is now, unless it equals the newest backup's.
    /// - Returns: the new backup, or nil when nothing changed since the last one.
    func backup(trigger: BackupTrigger, job: JobID?) async throws(BackupError) -> BackupRecord? {
        let snapshot = try await currentTree()
        // The newest backup and its tree in one call.
        let found = try await git.run(["rev-parse", Self.ref + "^{commit}", Self.ref + "^{tree}"]) // fails when there is no backup yet
        let newest = found.status == 0 ? found.text.split(separator: "\n").map(String.init) : []
        let parent = newest.count == 2 ? newest[0] : nil
        let base: String
        if newest.count == 2 {
            base = newest[1]
            if base == snapshot.tree { return nil }
        } else {
            let head = try await git.run(["rev-parse", "-q", "--verify", "HEAD^{tree}"])
            base = head.status == 0 ? head.text : try await git.text(["mktree"], input: [])
            // Before a job or a restore the first backup is made even so: it is what they
            // would go back to. An idle tree that is its HEAD needs none: git has it.
            if base == snapshot.tree && trigger == .idle { return nil }
        }
        let changed = try await git.checked(["diff-tree", "-r", "--no-renames", "--name-only", "-z", base, snapshot.tree]).stdout
            .split(separator: 0).count
        let message = BackupMessage(filesChanged: changed, trigger: trigger, job: job)
        var commitArguments = ["commit-tree", snapshot.tree, "-F", "-"]
        if let parent { commitArguments += ["-p", parent] }
        // The time is set here, so the record needs no second look at the commit.
        let seconds = Int(Date().timeIntervalSince1970)
        let date = "@\(seconds) +0000"
        let commit = try await git.text(commitArguments, input: Array(message.text.utf8),
                                        environment: ["GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date])
        try await moveRef(to: commit, from: parent)
        let time = Self.isoTime.string(from: Date(timeIntervalSince1970: Double(seconds)))
        return BackupRecord(commit: commit, time: time, trigger: trigger, filesChanged: changed, job: job,
                            skippedFiles: snapshot.skippedFiles.isEmpty ? nil : snapshot.skippedFiles)
    }

    /// git's `%cI` shape for a UTC commit (`2026-12-02T10:07:50+00:00`), as `backup_list` shows it.
    private static var isoTime: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'+00:00'"
        return formatter
    }

    /// Compare-and-swap of our ref; the ref's own lock may be held for a moment by a
    /// `git gc` or `pack-refs`, so a failed update is tried again, never forced.
    private func moveRef(to commit: String, from parent: String?) async throws(BackupError) {
        var last: BackupError?
        for attempt in 0..<5 {
            if attempt > 0 { await Pause.for(.milliseconds(100 << attempt)) }
            do {
                _ = try await git.checked(["update-ref", "-m", "spool: backup", Self.ref, commit, parent ?? ""])
                return
            } catch {
                last = error
            }
        }
        throw last ?? .gitFailed(command: "update-ref", status: "unknown", message: "")
    }

    // MARK: reading

    func list(limit: Int) async throws(BackupError) -> [BackupRecord] {
        guard try await latest() != nil else { return [] }
        let output = try await git.checked(["log", "-z", "--format=%H%x1f%cI%x1f%B", "-n", String(limit), Self.ref]).stdout
        return output.split(separator: 0).compactMap { entry in
            let fields = String(decoding: entry, as: UTF8.self).split(separator: "\u{1f}", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { return nil }
            let message = BackupMessage(parsing: String(fields[2])) ?? BackupMessage(filesChanged: 0, trigger: .idle)
            return BackupRecord(commit: String(fields[0]).trimmingCharacters(in: .whitespacesAndNewlines), time: String(fields[1]),
                                trigger: message.trigger, filesChanged: message.filesChanged, job: message.job)
        }
    }

    /// The full commit id of a backup named by (a prefix of) its id.
    /// - Throws: `unknownBackup` for anything that is not a commit on our ref.
    func resolve(_ text: String) async throws(BackupError) -> String {
        // Hex only: never handed to git as a revision expression it would interpret.
        guard (4...64).contains(text.count), text.allSatisfy(\.isHexDigit) else { throw .unknownBackup(text) }
        let found = try await git.run(["rev-parse", "-q", "--verify", text + "^{commit}"])
        guard found.status == 0 else { throw .unknownBackup(text) }
        let ancestor = try await git.run(["merge-base", "--is-ancestor", found.text, Self.ref])
        guard ancestor.status == 0 else { throw .unknownBackup(text) }
        return found.text
    }

    struct Change: Codable, Sendable, Equatable {
        var path: String
        /// `added`, `modified` or `deleted`: what happened to it since the backup.
        var change: String
    }

    /// The files that differ between `from` and `to` (trees or commits), under `path`.
    func changes(from: String, to: String, under path: String? = nil) async throws(BackupError) -> [Change] {
        var arguments = ["--literal-pathspecs", "diff-tree", "-r", "--no-renames", "--name-status", "-z", from, to]
        if let path { arguments += ["--", path] }
        let fields = try await git.checked(arguments).stdout.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        var changes: [Change] = []
        var index = 0
        while index + 1 < fields.count {
            let word = switch fields[index].first { case "A": "added"; case "D": "deleted"; default: "modified" }
            changes.append(Change(path: fields[index + 1], change: word))
            index += 2
        }
        return changes
    }

    /// The patch between `from` and `to`, at most `limit` bytes of it.
    func patch(from: String, to: String, limit: Int) async throws(BackupError) -> (text: String, truncated: Bool) {
        let bytes = try await git.checked(["diff-tree", "-p", "-r", "--no-renames", "--stat", from, to]).stdout
        guard bytes.count > limit else { return (String(decoding: bytes, as: UTF8.self), false) }
        let cut = bytes.prefix(limit)
        return (String(decoding: cut.dropLast(UTF8Boundary.incompleteSuffix(cut.suffix(4))), as: UTF8.self), true)
    }

    // MARK: restore

    struct Restored: Sendable {
        var written: Int
        var removed: [String]
    }

    /// Makes the tree (or `path`, relative to it) what it was in `commit`: files are
    /// written from the backup and files the backup did not have are removed.
    /// `current` is the tree as it was just before (the restore's own backup).
    func restore(_ commit: String, path: String?, current: String) async throws(BackupError) -> Restored {
        try await withTemporaryIndex(seed: false) { (index: Git) throws(BackupError) -> Restored in
            _ = try await index.checked(["read-tree", commit])
            var listing = ["--literal-pathspecs", "ls-files", "-z"]
            if let path { listing += ["--", path] }
            let files = try await index.checked(listing).stdout
            let added = try await changes(from: commit, to: current, under: path).filter { $0.change == "added" }.map(\.path)
            if let path, files.isEmpty, added.isEmpty { throw .notInBackup(path: path, commit: commit) }
            if !files.isEmpty {
                _ = try await index.checked(["checkout-index", "-f", "-z", "--stdin"], input: files)
            }
            for file in added { FileSystem.remove(workTree + "/" + file) }
            return Restored(written: files.split(separator: 0).count, removed: added)
        }
    }

    /// `path` (absolute, or relative to the work tree) as a path inside the work tree ("" for
    /// the tree itself); parsed by components, without resolving it, since it may no
    /// longer exist.
    func relativePath(_ path: String) throws(BackupError) -> String {
        // Refused, not cut: the part before a NUL names another file (a.txt for "a.txt\0x").
        guard !path.utf8.contains(0) else { throw .invalidPath(path: path, reason: "it holds a NUL byte") }
        let absolute = path.hasPrefix("/") ? path : workTree + "/" + path
        let parts = absolute.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        let top = workTree.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.contains(".."), parts.count >= top.count, Array(parts.prefix(top.count)) == top,
              parts.count == top.count || parts[top.count] != ".git" else {
            throw .pathOutsideTree(path: path, tree: workTree)
        }
        return parts.dropFirst(top.count).joined(separator: "/")
    }

    // MARK: temporary index

    /// The index of the last snapshot, kept in the git folder (git ignores files it does
    /// not know there): its stat cache means the next snapshot hashes only changed files.
    var snapshotIndex: String { gitDirectory + "/spool-backup.index" }

    /// Runs `body` with a private index. `seed` starts it from the last snapshot's index
    /// (or a copy of the user's, the first time); `keep` makes it the next seed.
    private func withTemporaryIndex<T: Sendable>(seed: Bool, keep: Bool = false, _ body: (Git) async throws(BackupError) -> T) async throws(BackupError) -> T {
        // In the git folder, so `keep` is a rename on one file system.
        let path = gitDirectory + "/spool-backup-\(JobID.make().rawValue).index"
        defer {
            FileSystem.remove(path)
            FileSystem.remove(path + ".lock")
        }
        if seed, let bytes = (try? FileSystem.read(snapshotIndex, limit: 1 << 30)) ?? (try? FileSystem.read(gitDirectory + "/index", limit: 1 << 30)) {
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
        }
        let result = try await body(git.with(index: path))
        // A rename, so a second spool-mcp on the same repository reads a whole file.
        if keep { _ = try? FileSystem.rename(path, to: snapshotIndex) } // without it, the next snapshot hashes more
        return result
    }
}
