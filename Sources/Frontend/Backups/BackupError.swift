/// Why a backup, a diff or a restore could not be made, with what to do about it.
enum BackupError: Error, Sendable, Equatable, CustomStringConvertible {
    case gitMissing(String)
    case notAWorkTree(path: String, detail: String)
    case notTopLevel(path: String, topLevel: String)
    /// git itself failed; its own message is kept.
    case gitFailed(command: String, status: String, message: String)
    /// The user's git held `index.lock` for longer than Spool waits.
    case indexLocked(path: String, seconds: Int)
    case rebaseInProgress(gitDirectory: String)
    case noBackups
    case unknownBackup(String)
    case pathOutsideTree(path: String, tree: String)
    /// A path git cannot be given as it is (a NUL byte would cut it short).
    case invalidPath(path: String, reason: String)
    case notInBackup(path: String, commit: String)
    /// Backups are off: spool-mcp was started without `--backup`.
    case disabled

    var description: String {
        switch self {
        case .gitMissing(let detail):
            "git is not installed or cannot run (\(detail)); install git (scripts/ensure-dependencies does)"
        case .notAWorkTree(let path, let detail):
            "\(path) is not a git work tree (\(detail)); run git init there, or give --backup the top folder of a repository"
        case .notTopLevel(let path, let top):
            "\(path) is inside the git work tree \(top), not its top folder; give --backup \(top)"
        case .gitFailed(let command, let status, let message):
            "git \(command) failed (\(status)): \(message.isEmpty ? "no message" : String(message.prefix(2000)))"
        case .indexLocked(let path, let seconds):
            "\(path) was held for \(seconds) s by another git command; Spool never removes it and tries again later (if no git runs, a crashed one left it: remove it yourself)"
        case .rebaseInProgress(let gitDirectory):
            "a rebase is in progress in \(gitDirectory); backups resume when it ends (git rebase --continue or --abort)"
        case .noBackups:
            "no backups yet: one is taken once the tree has been idle for --backup-idle seconds (see backup_list)"
        case .unknownBackup(let text):
            "'\(text.prefix(80))' is not a backup: give a commit id from backup_list"
        case .pathOutsideTree(let path, let tree):
            "\(path.prefix(300)) is not inside the backed-up tree \(tree)"
        case .invalidPath(let path, let reason):
            "'\(path.prefix(300))' is not a usable path: \(reason); nothing was restored"
        case .notInBackup(let path, let commit):
            "\(path.prefix(300)) is not in backup \(commit.prefix(12)) (use backup_diff to see what it holds)"
        case .disabled:
            "backups are off: start spool-mcp with --backup DIR (a git work tree) to use them"
        }
    }
}
