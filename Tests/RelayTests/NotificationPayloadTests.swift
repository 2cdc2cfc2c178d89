import Spool
import Testing
@testable import Relay

@Suite struct NotificationPayloadTests {
    let id = JobID("01JCDEFGHJKMNPQRSTVWXYZ012")!

    @Test func aFullPayloadIsTheRow() throws {
        let status = JobStatus(job: id, state: .succeeded, priority: .sync, createdAt: id.createdAt, stdoutBytes: 3, stderrBytes: 0)
        let json = String(decoding: try SpoolJSON.encode(status), as: UTF8.self)
        let row = try #require(RemoteJob(notification: "a \(id) finished 42 3 0 b \(json)", origin: "a"))
        #expect(row.state == .finished && row.token == 42 && row.stdoutBytes == 3 && row.host == "b" && row.status == status)
    }

    @Test func shortPayloadsOtherOriginsAndStatesWithReasonsGoToPostgreSQL() {
        #expect(RemoteJob(notification: "a \(id)", origin: "a") == nil)
        #expect(RemoteJob(notification: "x \(id) running 4 0 0 b ", origin: "a") == nil)
        #expect(RemoteJob(notification: "a \(id) lost 5 0 0 b ", origin: "a") == nil)
        #expect(RemoteJob(notification: "a \(id) running 4 0 0 b {broken", origin: "a") == nil)
    }

    @Test func aClaimWithoutStatusYet() throws {
        let row = try #require(RemoteJob(notification: "a \(id) claimed 7 0 0 b ", origin: "a"))
        #expect(row.state == .claimed && row.status == nil)
    }

    @Test("spool_queue payloads: a job, a session's command, and anything else as a plain look")
    func queuePayloads() {
        #expect(RelayWake.queued(payload: id.rawValue) == .announced(id))
        #expect(RelayWake.queued(payload: "\(id) command") == .announcedCommand(id))
        #expect(RelayWake.queued(payload: "\(id) commands") == .queue)
        #expect(RelayWake.queued(payload: "\(id)  command") == .queue)
        #expect(RelayWake.queued(payload: "\(id) command x") == .queue)
        #expect(RelayWake.queued(payload: "handwritten") == .queue)
        #expect(RelayWake.queued(payload: "") == .queue)
    }
}
