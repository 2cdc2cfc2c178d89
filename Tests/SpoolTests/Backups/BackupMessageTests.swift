import Spool
import Testing

@Suite("Backup commit messages")
struct BackupMessageTests {
    @Test("the message says Auto-backup: N files changed, and reads back with its trigger and job")
    func roundTrip() throws {
        let job = JobID.make()
        let message = BackupMessage(filesChanged: 1, trigger: .job, job: job)
        #expect(message.text.hasPrefix("Auto-backup: 1 files changed\n"))
        #expect(BackupMessage(parsing: message.text) == message)
        #expect(BackupMessage(parsing: "Auto-backup: 12 files changed\n") == BackupMessage(filesChanged: 12, trigger: .idle))
        #expect(BackupMessage(parsing: "Fix the build\n") == nil)
    }
}
