import Foundation

/// The commit message of a backup: what `backup_list` reads back. Plain git trailers, so
/// `git log refs/spool/backups` explains itself.
public struct BackupMessage: Sendable, Equatable {
    public var filesChanged: Int
    public var trigger: BackupTrigger
    /// The job a `job` backup was taken before.
    public var job: JobID?

    public init(filesChanged: Int, trigger: BackupTrigger, job: JobID? = nil) {
        self.filesChanged = filesChanged
        self.trigger = trigger
        self.job = job
    }

    public var text: String {
        // "files" also for one: the contract's wording, which tools may match.
        var text = "Auto-backup: \(filesChanged) files changed\n\nSpool-Trigger: \(trigger.rawValue)\n"
        if let job { text += "Spool-Job: \(job)\n" }
        return text
    }

    /// The message of a backup commit; nil for any other commit.
    public init?(parsing text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let subject = lines.first, subject.hasPrefix("Auto-backup: ") else { return nil }
        let words = subject.dropFirst("Auto-backup: ".count).split(separator: " ")
        guard let count = words.first.flatMap({ Int($0) }) else { return nil }
        var trigger = BackupTrigger.idle
        var job: JobID?
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "Spool-Trigger": trigger = BackupTrigger(rawValue: parts[1]) ?? trigger
            case "Spool-Job": job = JobID(parts[1])
            default: break
            }
        }
        self.init(filesChanged: count, trigger: trigger, job: job)
    }
}

