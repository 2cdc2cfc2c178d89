import Foundation
import Logging
import PostgresNIO
import ProcessHarness
@testable import Relay
import Spool
import Testing

/// The SQL side of `RemoteLifecycle`: every (state, event) pair run against a private
/// PostgreSQL cluster through the relays' own statements (`RelayDatabase+Transitions`),
/// and the row compared with the table: the state it ends in, whether its token changed,
/// and that a write under an outdated token changes nothing.
@Suite("relay transitions in PostgreSQL")
struct RemoteTransitionsTests {
    static let token: Int64 = 1_000_000
    static let host = "h"

    @Test("every (state, event) pair does in PostgreSQL what RemoteLifecycle says; an outdated token changes nothing")
    func everyPair() async throws {
        try await Self.withDatabase { database, client, logger in
            for state in RemoteState.allCases {
                for event in RemoteEvent.allCases {
                    for retriesLeft in event == .expire ? [false, true] : [false] {
                        try await Self.check(state, event, retriesLeft: retriesLeft, database: database, client: client, logger: logger)
                        if Self.carriesToken(event) {
                            try await Self.check(state, event, retriesLeft: retriesLeft, database: database, client: client, logger: logger, outdated: true)
                        }
                    }
                }
            }
        }
    }

    @Test("sessions: an opener whose host is lost waits again; a session's commands go to its host, one at a time, in order")
    func sessions() async throws {
        try await Self.withDatabase { database, client, logger in
            let session = SessionID(opening: JobID.make())
            let opener = session.opener
            var open = JobRequest(job: opener, command: "", priority: .sync, session: session, kind: .session)
            open.retries = 0
            try await database.insert(open, bytes: try SpoolJSON.encode(open), origin: "a")
            let commands = (0..<2).map { _ in JobRequest(job: JobID.make(), command: "pwd", priority: .sync, session: session) }
            for command in commands { try await database.insert(command, bytes: try SpoolJSON.encode(command), origin: "a") }
            // The opener is claimed like a job; its commands are not.
            let claimed = try await database.claim(host: "b", spool: "s", count: 8, lease: 30)
            #expect(claimed.map(\.id) == [opener])
            // Not open yet (claimed, not running): no command goes anywhere.
            #expect(try await database.claimSessionCommands(host: "b", spool: "s", lease: 30).isEmpty)
            let token = try #require(claimed.first?.token)
            var ready = JobStatus(job: opener, state: .running, priority: .sync, createdAt: opener.createdAt)
            ready.worker = WorkerName("b-1")
            #expect(try await database.started(opener, token: token, status: ready))
            #expect(try await database.claimSessionCommands(host: "c", spool: "s", lease: 30).isEmpty, "another host's session")
            let first = try await database.claimSessionCommands(host: "b", spool: "s", lease: 30)
            #expect(first.map(\.id) == [commands[0].job])
            #expect(try await database.claimSessionCommands(host: "b", spool: "s", lease: 30).isEmpty, "one at a time")
            var done = JobStatus(job: commands[0].job, state: .succeeded, priority: .sync, createdAt: commands[0].job.createdAt)
            done.exitCode = 0
            // Its end saves the session's state, under the opener's claim: an outdated one refuses both.
            let commandToken = try #require(first.first?.token)
            #expect(try await !database.finished(commands[0].job, token: commandToken, status: done,
                                                 session: .init(opener: opener, token: token - 1, state: #"{"cwd": "/var"}"#)))
            #expect(try await database.finished(commands[0].job, token: commandToken, status: done,
                                                session: .init(opener: opener, token: token, state: #"{"cwd": "/tmp"}"#)))
            #expect(try await database.claimSessionCommands(host: "b", spool: "s", lease: 30).map(\.id) == [commands[1].job])
            // B is lost past its lease: the session opens again elsewhere with its state;
            // the command that was claimed there is lost (it allows no retry).
            try await client.query("UPDATE spool_job SET lease_until = now() - interval '1 minute' WHERE host = 'b'", logger: logger)
            try await database.expireLeases()
            var after: [String: String] = [:]
            for try await (id, state, saved) in try await client.query("SELECT id, state, coalesce(session_state::text, '') FROM spool_job", logger: logger)
                .decode((String, String, String).self) {
                after[id] = state + (saved.isEmpty ? "" : " " + saved)
            }
            #expect(after[opener.rawValue] == #"queued {"cwd": "/tmp"}"#, "\(after)")
            #expect(after[commands[1].job.rawValue] == "lost", "\(after)")
            #expect(after[commands[0].job.rawValue] == "finished", "\(after)")
            #expect(try await database.claim(host: "c", spool: "s2", count: 8, lease: 30).map(\.id) == [opener], "reopened on C")
        }
    }

    /// A private cluster with the relays' schema, its client running, for `body`; stopped after.
    static func withDatabase(_ body: (RelayDatabase, PostgresClient, Logger) async throws -> Void) async throws {
        let cluster = try await PostgresCluster()
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let url = try PostgresURL(parsing: cluster.url)
        let client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                try await RelaySchema.install(url, logger: logger)
                try await body(RelayDatabase(client: client, logger: logger), client, logger)
                group.cancelAll()
            }
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// The events a worker host sends under its claim's token.
    static func carriesToken(_ event: RemoteEvent) -> Bool {
        switch event {
        case .release, .reportRunning, .reportOutput, .reportFinished, .renew: true
        case .claim, .expire, .cancel: false
        }
    }

    static func check(_ state: RemoteState, _ event: RemoteEvent, retriesLeft: Bool, database: RelayDatabase, client: PostgresClient,
                      logger: Logger, outdated: Bool = false) async throws {
        let id = JobID.make(), job = id.rawValue
        let request = ByteBuffer(bytes: try SpoolJSON.encode(JobRequest(job: id, command: "true", priority: .async)))
        let retries = retriesLeft ? 1 : 0, token = token, host = host
        // The lease runs out for `expire`, and not for anything else.
        let lease = event == .expire ? -60.0 : 3600.0
        try await client.query("DELETE FROM spool_job", logger: logger)
        try await client.query("""
            INSERT INTO spool_job (id, origin, priority, request, state, host, token, lease_until, attempts, retries)
            VALUES (\(job), 'a', 1, \(request), \(state.rawValue), \(host), \(token), now() + make_interval(secs => \(lease)), 1, \(retries))
            """, logger: logger)
        let sent = outdated ? token - 1 : token
        var status = JobStatus(job: id, state: .running, priority: .async, createdAt: id.createdAt)
        switch event {
        case .claim: _ = try await database.claim(host: "other", spool: "s", count: 1, lease: 30)
        case .release: try await database.release(id, token: sent)
        case .reportRunning: _ = try await database.started(id, token: sent, status: status)
        case .reportOutput: _ = try await database.append(id, token: sent, OutputChunk(stream: .stdout, offset: 0, data: Array("x".utf8)))
        case .reportFinished:
            status.state = .succeeded
            status.exitCode = 0
            _ = try await database.finished(id, token: sent, status: status)
        case .renew: _ = try await database.renew(host: host, tokens: [sent], lease: 30)
        case .expire: try await database.expireLeases()
        case .cancel: _ = try await database.cancel(id)
        }
        var after: (RemoteState?, Int64)?
        for try await (text, newToken) in try await client.query("SELECT state, token FROM spool_job WHERE id = \(job)", logger: logger)
            .decode((String, Int64).self) {
            after = (RemoteState(rawValue: text), newToken)
        }
        let label = "\(state) on \(event)\(retriesLeft ? " (retries left)" : "")\(outdated ? " under an outdated token" : "")"
        let row = try #require(after, "\(label): the row is gone")
        if !outdated, let expected = RemoteLifecycle.transition(state, on: event, retriesLeft: retriesLeft) {
            #expect(row.0 == expected.to, "\(label): \(String(describing: row.0)), the table says \(expected.to)")
            #expect((row.1 != token) == expected.newToken, "\(label): token \(row.1)")
        } else {
            #expect(row.0 == state && row.1 == token, "\(label): changed to \(String(describing: row.0)) token \(row.1); the table refuses it")
        }
    }
}
