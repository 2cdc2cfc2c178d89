import Foundation
import MCP
import Spool
import Testing

/// `--backup`: snapshots of a real git work tree onto refs/spool/backups, their notices,
/// and backup_list, backup_diff and backup_restore, with the user's git state untouched.
@Suite("Backups", .serialized, .timeLimit(.minutes(3))) // one git-heavy test at a time: the machine has 2 cores
struct BackupTests {
    /// A repository with one commit (`a.txt`, `sub/b.txt`, `sub/c.txt`) and an ignored file.
    static func repository() throws -> GitRepository {
        let repo = try GitRepository()
        try repo.commit(["a.txt": "a\n", "sub/b.txt": "b\n", "sub/c.txt": "c\n", ".gitignore": "*.log\n"], message: "first")
        try repo.write("debug.log", "ignored\n")
        return repo
    }

    /// Waits for a notice of `type` (and `trigger`) after the first `after` notices.
    static func notice(_ log: NoticeLog, type: String, trigger: String? = nil, after: Int = 0, timeout: Double = 20) async throws -> [String: Value] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for case .object(let notice) in await log.items.dropFirst(after)
            where notice["event"] == .string(type) && notice["type"] == .string(type) && (trigger == nil || notice["trigger"] == .string(trigger!)) {
                return notice
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HTTPTestConnection.Failure(description: "no \(type) notice within \(timeout) s; got \(await log.items)")
    }

    /// Runs `body` with spool-mcp backing up `repo` (a fresh `repository()` by default),
    /// collecting its notices; everything is stopped and removed afterwards.
    static func withBackups(_ given: GitRepository? = nil, idle: String, workers: Int = 0, extra: [String] = [],
                            _ body: (GitRepository, MCPHarness, NoticeLog) async throws -> Void) async throws {
        let repo = try given ?? repository()
        try await withSpool { spool in
            let mcp = try await MCPHarness(spool: spool, workers: workers, extra: ["--backup", repo.path, "--backup-idle", idle] + extra)
            defer { Task { await mcp.close() } }
            try await body(repo, mcp, await mcp.collectNotices())
        }
    }

    static func backups(_ mcp: MCPHarness) async throws -> [[String: Value]] {
        guard case .array(let items)? = try await mcp.call("backup_list")["backups"] else { return [] }
        return items.compactMap { if case .object(let object) = $0 { object } else { nil } }
    }

    @Test("an idle backup sends its notice; backup_list, backup_diff, and a restore that can itself be undone")
    func idleBackupAndRestore() async throws {
        try await Self.withBackups(idle: "0.3") { repo, mcp, notices in
            // A clean tree needs no backup (git has it): the first comes after a change.
            try await Task.sleep(for: .milliseconds(600))
            #expect((try? repo.git("rev-parse", "-q", "--verify", "refs/spool/backups")) == nil)
            try repo.write("a.txt", "a changed\n")
            let idle = try await Self.notice(notices, type: "backup_completed", trigger: "idle")
            #expect(idle["filesChanged"] == .int(1))
            guard case .string(let commit)? = idle["commit"] else { Issue.record("no commit in \(idle)"); return }
            #expect(try repo.git("log", "-1", "--format=%s", commit) == "Auto-backup: 1 files changed")
            #expect(try repo.git("rev-parse", "refs/spool/backups") == commit)
            try repo.write("a.txt", "a changed again\n")
            let second = try await Self.notice(notices, type: "backup_completed", trigger: "idle", after: await notices.items.count)
            guard case .string(let newest)? = second["commit"] else { return }
            #expect(try repo.git("rev-parse", newest + "^") == commit, "each backup's parent is the one before")

            let list = try await Self.backups(mcp)
            #expect(list.map { $0["commit"] } == [.string(newest), .string(commit)])
            #expect(list.map { $0["trigger"] } == [.string("idle"), .string("idle")])
            // The notice and the list agree, in git's own date format.
            #expect(list.last?["time"] == idle["time"])
            #expect(list.last?["time"] == .string(try repo.git("log", "-1", "--format=%cI", commit)))

            try repo.write("a.txt", "a broken\n")
            try FileManager.default.removeItem(atPath: repo.path + "/sub/b.txt")
            try repo.write("new.txt", "new\n")
            let diff = try await mcp.call("backup_diff", ["backup": .string(commit)])
            #expect(diff.isError != true)
            guard case .array(let files)? = diff["files"] else { Issue.record("no files in \(diff.text)"); return }
            #expect(Set(files.map { "\($0)" }).count == 3)
            #expect(diff.text.contains("modified a.txt") && diff.text.contains("deleted sub/b.txt") && diff.text.contains("added new.txt"))
            #expect(diff.text.contains("+a broken"))

            let restored = try await mcp.call("backup_restore", ["backup": .string(commit)])
            #expect(restored.isError != true, "\(restored.text)")
            #expect(repo.read("a.txt") == "a changed\n")
            #expect(repo.read("sub/b.txt") == "b\n")
            #expect(!repo.exists("new.txt"))
            #expect(repo.read("debug.log") == "ignored\n", "ignored files are not the backup's business")
            // Undo: the state before the restore was backed up first.
            guard case .string(let undo)? = restored["undo"] else { Issue.record("no undo in \(restored.text)"); return }
            // It is the restore's own backup, or an idle one that already held this state.
            #expect(try repo.git("show", undo + ":a.txt") == "a broken")
            let undone = try await mcp.call("backup_restore", ["backup": .string(undo)])
            #expect(undone.isError != true, "\(undone.text)")
            #expect(repo.read("a.txt") == "a broken\n")
            #expect(repo.read("new.txt") == "new\n")
            #expect(!repo.exists("sub/b.txt"))

            let unknown = try await mcp.call("backup_restore", ["backup": "HEAD~1"])
            #expect(unknown.isError == true)
            #expect(unknown.text.contains("is not a backup"))
            let outside = try await mcp.call("backup_restore", ["backup": .string(commit), "path": "../etc"])
            #expect(outside.isError == true)
            #expect(outside.text.contains("not inside the backed-up tree"))
            // A NUL would cut the path short and restore a.txt: it is refused, nothing is written.
            let before = repo.read("a.txt")
            let nul = try await mcp.call("backup_restore", ["backup": .string(commit), "path": "a.txt\u{0}x"])
            #expect(nul.isError == true, "\(nul.text)")
            #expect(nul.text.contains("NUL"), "\(nul.text)")
            #expect(repo.read("a.txt") == before)
        }
    }

    @Test("backups leave the user's branch, HEAD, index, staged changes and stash as they were")
    func userStateUntouched() async throws {
        let repo = try Self.repository()
        try repo.git("checkout", "-q", "-b", "feature")
        try repo.write("a.txt", "stashed\n")
        try repo.git("stash", "-q")
        try repo.write("a.txt", "staged\n")
        try repo.git("add", "a.txt")
        try repo.write("a.txt", "staged and more\n")
        try repo.write("untracked.txt", "u\n")
        let before = try repo.userState()
        try await Self.withBackups(repo, idle: "0.2") { repo, mcp, notices in
            try repo.write("sub/b.txt", "b changed\n")
            let idle = try await Self.notice(notices, type: "backup_completed", trigger: "idle")
            guard case .string(let commit)? = idle["commit"] else { return }
            // The snapshot holds the work tree as it is: unstaged, untracked, not ignored.
            #expect(try repo.git("show", commit + ":a.txt") == "staged and more")
            #expect(try repo.git("show", commit + ":untracked.txt") == "u")
            #expect((try? repo.git("show", commit + ":debug.log")) == nil)
            _ = try await mcp.call("backup_restore", ["backup": .string(commit), "path": "sub/b.txt"])
        }
        let after = try repo.userState()
        // Branch, HEAD, staged diff, stash and the index file itself; only `status` differs,
        // by the work tree file the test changed.
        #expect(Array(after.prefix(5)) == Array(before.prefix(5)))
    }

    @Test("over HTTP, each backup is also a backup_completed event on /events")
    func eventStream() async throws {
        let repo = try Self.repository()
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 0, extra: ["--backup", repo.path, "--backup-idle", "0.2"])
            let events = try HTTPTestConnection(port: port)
            try events.send(method: "GET", path: "/events")
            try await events.waitForBody(containing: ": spool events") // the stream has begun
            try repo.write("a.txt", "changed\n")
            var found: HTTPTestConnection.Event?
            let deadline = Date().addingTimeInterval(20)
            while found == nil, Date() < deadline, let event = try await events.nextEvent(timeout: deadline.timeIntervalSinceNow) {
                if event.event == "backup_completed" { found = event }
            }
            let json = try #require(found?.json)
            #expect(json["trigger"] as? String == "idle")
            #expect(json["filesChanged"] as? Int == 1)
            #expect(json["commit"] as? String == (try repo.git("rev-parse", "refs/spool/backups")))
        }
    }

    @Test("with --backup-before-jobs, a job that runs rm -rf of a subfolder can be undone")
    func beforeJob() async throws {
        try await Self.withBackups(idle: "60", workers: 1, extra: ["--backup-before-jobs"]) { repo, mcp, _ in
            try repo.write("sub/d.txt", "written by the agent\n")
            let run = try await mcp.call("run", ["command": "rm -rf sub", "cwd": .string(repo.path)])
            #expect(run["state"] == .string("succeeded"))
            #expect(run.text.contains("Backed up"))
            #expect(!repo.exists("sub"))
            let latest = try #require(try await Self.backups(mcp).first)
            #expect(latest["trigger"] == .string("job"))
            #expect(latest["job"] == run["job"])
            guard case .string(let commit)? = latest["commit"] else { return }
            let restored = try await mcp.call("backup_restore", ["backup": .string(commit), "path": "sub"])
            #expect(restored.isError != true, "\(restored.text)")
            #expect(repo.read("sub/b.txt") == "b\n")
            #expect(repo.read("sub/d.txt") == "written by the agent\n")
            // A job elsewhere takes no backup.
            let elsewhere = try await mcp.call("run", ["command": "true", "cwd": "/tmp"])
            #expect(!elsewhere.text.contains("Backed up"))
        }
    }

    @Test("a rebase skips backups with the reason; a held index.lock is waited for and never removed")
    func gitBusy() async throws {
        try await Self.withBackups(idle: "0.2") { repo, mcp, notices in
            try FileManager.default.createDirectory(atPath: repo.path + "/.git/rebase-merge", withIntermediateDirectories: false)
            try repo.write("a.txt", "during rebase\n")
            let skipped = try await Self.notice(notices, type: "backup_skipped")
            guard case .string(let reason)? = skipped["reason"] else { Issue.record("no reason in \(skipped)"); return }
            #expect(reason.contains("rebase is in progress"))
            try FileManager.default.removeItem(atPath: repo.path + "/.git/rebase-merge")
            // Tried again once the rebase is over.
            let retried = try await Self.notice(notices, type: "backup_completed", trigger: "idle")
            guard case .string(let retriedCommit)? = retried["commit"] else { return }
            #expect(try repo.git("show", retriedCommit + ":a.txt") == "during rebase")

            // The user's git holds index.lock: the backup waits for it.
            let lock = repo.path + "/.git/index.lock"
            FileManager.default.createFile(atPath: lock, contents: Data())
            let count = await notices.items.count
            try repo.write("a.txt", "while locked\n")
            try await Task.sleep(for: .seconds(1))
            #expect(FileManager.default.fileExists(atPath: lock), "Spool must never remove the user's index.lock")
            #expect(await notices.items.count == count, "no backup while the lock is held")
            try FileManager.default.removeItem(atPath: lock)
            let completed = try await Self.notice(notices, type: "backup_completed", after: count)
            guard case .string(let commit)? = completed["commit"] else { return }
            #expect(try repo.git("show", commit + ":a.txt") == "while locked")
        }
    }

    @Test("an ignored log that keeps growing does not hold idle backups off")
    func ignoredChangesAreNotChanges() async throws {
        try await Self.withBackups(idle: "0.5") { repo, mcp, notices in
            let writer = Task {
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: repo.path + "/debug.log"))
                while !Task.isCancelled {
                    handle.seekToEndOfFile()
                    handle.write(Data("tick\n".utf8))
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            defer { writer.cancel() }
            try await Task.sleep(for: .milliseconds(200))
            try repo.write("sub/b.txt", "changed while the log grows\n")
            let idle = try await Self.notice(notices, type: "backup_completed", trigger: "idle", timeout: 15)
            #expect(idle["filesChanged"] == .int(1))
        }
    }

    @Test("a file over 50 MiB is left out of the backup and named in its notice; the rest is backed up")
    func hugeFile() async throws {
        try await Self.withBackups(idle: "0.2") { repo, mcp, notices in
            // Sparse: 60 MB to git, no disk to the test.
            let fd = open(repo.path + "/big.bin", O_CREAT | O_WRONLY, 0o644)
            #expect(ftruncate(fd, 60 << 20) == 0)
            close(fd)
            try repo.write("small.txt", "kept\n")
            let completed = try await Self.notice(notices, type: "backup_completed", trigger: "idle")
            #expect(completed["skippedFiles"] == .array(["big.bin"]))
            guard case .string(let commit)? = completed["commit"] else { return }
            #expect(try repo.git("show", commit + ":small.txt") == "kept")
            #expect((try? repo.git("cat-file", "-e", commit + ":big.bin")) == nil)
        }
    }

    @Test("SPOOL_WATCH, SPOOL_BACKUP and SPOOL_BACKUP_BEFORE_JOBS turn the features on as their flags do")
    func environmentTwins() async throws {
        let repo = try Self.repository()
        try await withSpool { spool in
            let logs = spool.root + "/../logs"
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            let mcp = try await MCPHarness(spool: spool, workers: 1, environment: [
                "SPOOL_WATCH": logs, "SPOOL_BACKUP": repo.path, "SPOOL_BACKUP_IDLE": "60", "SPOOL_BACKUP_BEFORE_JOBS": "1"])
            defer { Task { await mcp.close() } }
            let (tools, _) = try await mcp.client.listTools()
            #expect(Set(tools.map(\.name)).isSuperset(of: ["file_tail", "file_read", "backup_list", "backup_diff", "backup_restore"]))
            let run = try await mcp.call("run", ["command": "true", "cwd": .string(repo.path)])
            #expect(run.text.contains("Backed up"), "SPOOL_BACKUP_BEFORE_JOBS=1: \(run.text)")
        }
    }

    @Test("--backup of a folder that is not a git work tree stops spool-mcp with a clear error")
    func notAWorkTree() async throws {
        try await withSpool { spool in
            let plain = spool.root + "/../plain"
            try FileManager.default.createDirectory(atPath: plain, withIntermediateDirectories: true)
            let child = try spool.startFrontend(workers: 0, extra: ["--backup", plain])
            #expect(await eventually { !child.isRunning })
            #expect((spool.read(spool.logPath) ?? "").contains("is not a git work tree"))
            let before = try spool.startFrontend(workers: 0, extra: ["--backup-before-jobs"])
            #expect(await eventually { !before.isRunning })
            #expect((spool.read(spool.logPath) ?? "").contains("--backup-before-jobs needs --backup"))
        }
    }
}
