/// One backup as `backup_list` reports it and `backup_completed` announces it
/// (DESIGN.md, "Watched files and backups").
public struct BackupRecord: Codable, Sendable, Equatable {
    /// The commit on `refs/spool/backups`.
    public var commit: String
    /// When it was committed (ISO 8601).
    public var time: String
    public var trigger: BackupTrigger
    /// Files that differ from the previous backup (from HEAD for the first).
    public var filesChanged: Int
    public var job: JobID?
    /// Files left out because they are larger than a backup takes.
    public var skippedFiles: [String]?

    public init(commit: String, time: String, trigger: BackupTrigger, filesChanged: Int, job: JobID? = nil, skippedFiles: [String]? = nil) {
        self.commit = commit
        self.time = time
        self.trigger = trigger
        self.filesChanged = filesChanged
        self.job = job
        self.skippedFiles = skippedFiles
    }
}
