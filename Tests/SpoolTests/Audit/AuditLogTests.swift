import Foundation
import Spool
import Testing

@Suite("Audit log files")
struct AuditLogTests {
    @Test("one line per entry in the UTC day's file, appended; trimming removes only older days")
    func appendAndTrim() throws {
        let scratch = try ScratchSpool()
        let log = AuditLog(layout: scratch.layout, host: "h1")
        let day: Int64 = 86400 * 1_000_000_000
        let now = Timestamp(nanoseconds: 1_796_600_000 * 1_000_000_000) // 2026-12-06
        var first = AuditEntry(.accepted, host: "h1", client: AuditClient(name: "c", version: "1", transport: .stdio), job: .make(), time: now)
        first.command = "echo \"quoted\"\nnext"
        try log.append(first)
        try log.append(AuditEntry(.finished, host: "h1", time: now))
        try log.append(AuditEntry(.policy, host: "h1", time: Timestamp(nanoseconds: now.nanoseconds - 40 * day)))
        #expect(log.file(for: now).hasSuffix("/audit/2026-12-06.jsonl"))
        let text = try String(contentsOfFile: log.file(for: now), encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2, "a newline in a command stays inside its JSON string")
        let decoded = try JSONDecoder().decode(AuditEntry.self, from: Data(lines[0].utf8))
        #expect(decoded == first)
        #expect(FileManager.default.fileExists(atPath: log.file(for: Timestamp(nanoseconds: now.nanoseconds - 40 * day))))
        log.trim(retainDays: 30, now: now)
        #expect(!FileManager.default.fileExists(atPath: log.file(for: Timestamp(nanoseconds: now.nanoseconds - 40 * day))))
        #expect(FileManager.default.fileExists(atPath: log.file(for: now)))
        log.trim(retainDays: 0, now: Timestamp(nanoseconds: now.nanoseconds + 400 * day))
        #expect(FileManager.default.fileExists(atPath: log.file(for: now)), "0 keeps everything")
    }

    @Test("a client's own words are bounded in each line")
    func bounded() {
        let long = String(repeating: "n", count: 10_000)
        let entry = AuditEntry(.accepted, host: "h", client: AuditClient(name: long, version: long, transport: .http))
        #expect(entry.client?.name?.count == 200 && entry.client?.version?.count == 100)
    }
}
