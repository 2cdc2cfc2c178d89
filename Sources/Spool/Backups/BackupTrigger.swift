/// Why a backup was taken; recorded in its commit message (`Spool-Trigger:`).
public enum BackupTrigger: String, Sendable, Codable, CaseIterable {
    /// Nothing under the tree had changed for `--backup-idle` seconds.
    case idle
    /// Before a job whose cwd is in the tree (`--backup-before-jobs`).
    case job
    /// Before `backup_restore` changed the tree, so the restore can be undone.
    case restore
}
