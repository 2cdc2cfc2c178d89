import MCPWire
import Spool

/// `backup_list`, `backup_diff` and `backup_restore` (`--backup`).
extension SpoolTools {
    /// What `backup_list` and the resource `spool://backups` give.
    struct BackupListResult: Codable {
        var backups: [BackupRecord]
        var workTree: String
        var ref: String

        init(_ keeper: BackupKeeper, limit: Int) async throws(BackupError) {
            backups = try await keeper.list(limit: limit)
            workTree = keeper.repository.workTree
            ref = BackupRepository.ref
        }
    }

    private func keeper(_ tool: String) throws(ToolError) -> BackupKeeper {
        guard let backups else { throw .backup(.disabled, tool: tool) }
        return backups
    }

    func backupList(_ arguments: [String: Value]?) async throws -> CallToolResult {
        let args = try ToolArguments(.backupList, values: arguments)
        let limit = try args.integer("limit", range: 1...500) ?? 20
        let keeper = try keeper(args.tool)
        let result: BackupListResult
        do { result = try await BackupListResult(keeper, limit: limit) } catch { throw ToolError.backup(error, tool: args.tool) }
        let text = result.backups.isEmpty ? "no backups of \(result.workTree) yet"
            : result.backups.map { "\($0.commit.prefix(12))  \($0.time)  \($0.trigger.rawValue)  \($0.filesChanged) files changed" + ($0.job.map { "  before job \($0)" } ?? "") }
                .joined(separator: "\n")
        return CallToolResult(text: text, structuredContent: try Value(encoding: result))
    }

    func backupDiff(_ arguments: [String: Value]?) async throws -> CallToolResult {
        let args = try ToolArguments(.backupDiff, values: arguments)
        let backup = try args.string("backup")
        let diff: BackupKeeper.Diff
        do { diff = try await keeper(args.tool).diff(backup) } catch let error as BackupError { throw ToolError.backup(error, tool: args.tool) }
        var text = diff.files.isEmpty ? "nothing changed since backup \(diff.backup.prefix(12))"
            : "\(diff.files.count) file(s) changed since backup \(diff.backup.prefix(12)):\n" + diff.files.map { "\($0.change) \($0.path)" }.joined(separator: "\n")
        if !diff.patch.isEmpty { text += "\n\n" + diff.patch + (diff.truncated ? "\n(patch cut at 256 KiB; see git diff \(diff.backup.prefix(12)))" : "") }
        return CallToolResult(text: text, structuredContent: try Value(encoding: diff))
    }

    func backupRestore(_ arguments: [String: Value]?) async throws -> CallToolResult {
        let args = try ToolArguments(.backupRestore, values: arguments)
        let backup = try args.requiredString("backup", "a commit id from backup_list")
        let path = try args.string("path")
        let restored: BackupKeeper.Restore
        do { restored = try await keeper(args.tool).restore(backup, path: path) } catch let error as BackupError { throw ToolError.backup(error, tool: args.tool) }
        audit(.restored, tool: .backupRestore) {
            $0.commit = restored.backup
            $0.paths = [restored.path ?? "."]
        }
        var text = "restored \(restored.path ?? "the whole tree") from backup \(restored.backup.prefix(12)): \(restored.filesWritten) file(s) written, \(restored.filesRemoved.count) removed"
        if let undo = restored.undo { text += "\nTo undo, restore backup \(undo) (the state just before)." }
        return CallToolResult(text: text, structuredContent: try Value(encoding: restored))
    }

    /// With `--backup-before-jobs`, backs up the tree before a job in it is queued; a
    /// backup that could not be taken does not stop the job, and the result says so.
    func backUpBefore(_ request: JobRequest) async -> String? {
        guard let backups, request.session == nil, let cwd = request.cwd, backups.coversJob(in: cwd) else { return nil }
        switch await backups.snapshot(trigger: .job, job: request.job) {
        case .committed(let record): return "Backed up \(backups.workTree) first: backup \(record.commit.prefix(12)) (\(record.filesChanged) files changed)."
        case .unchanged: return nil
        case .skipped(let error): return "No backup was taken before this job: \(error)"
        }
    }
}
