import Spool

extension SpoolEvent {
    /// The `/events` twin of a `backup_completed` or `backup_skipped` notice.
    init(_ notice: BackupKeeper.Notice) {
        self.init(type: notice.type == "backup_skipped" ? .backupSkipped : .backupCompleted, job: notice.job)
        commit = notice.commit
        trigger = notice.trigger
        filesChanged = notice.filesChanged
        reason = notice.reason
    }
}
