import Foundation
import Logging
import NIOCore
import PostgresNIO
import Spool

/// The relays' queries, typed. Every write from a worker host names its claim's token and
/// matches no row when the token is outdated (fencing); every call has a deadline.
struct RelayDatabase: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// The most seconds one statement may take before the caller gives up on it.
    var timeout: Double = 5

    enum Failure: Error, CustomStringConvertible {
        case corruptRow(JobID, String)
        var description: String {
            switch self {
            case .corruptRow(let id, let why): "spool_job row \(id) cannot be used: \(why)"
            }
        }
    }

    func run<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> T) async throws -> T {
        let client = client, logger = logger
        return try await Deadline.run(timeout, what) { try await body(client, logger) }
    }

    // MARK: sending side (the origin host)

    func jobs(_ ids: [JobID]) async throws -> [RemoteJob] {
        let names = ids.map(\.rawValue)
        return try await run("reading \(ids.count) job(s)") { client, logger in
            let rows = try await client.query("""
                SELECT id, state, token, host, status::text, reason, stdout_bytes, stderr_bytes
                FROM spool_job WHERE id = ANY(\(names))
                """, logger: logger)
            var result: [RemoteJob] = []
            for try await (id, state, token, host, status, reason, stdoutBytes, stderrBytes)
                in rows.decode((String, String, Int64, String?, String?, String?, Int64, Int64).self) {
                guard let job = JobID(id) else { continue }
                guard let remoteState = RemoteState(rawValue: state) else { throw Failure.corruptRow(job, "state '\(state)'") }
                var decoded: JobStatus?
                if let status {
                    do { decoded = try SpoolJSON.decode(JobStatus.self, from: Array(status.utf8), path: "spool_job(\(id)).status") } catch {
                        throw Failure.corruptRow(job, "\(error)")
                    }
                }
                result.append(RemoteJob(id: job, state: remoteState, token: token, host: host, status: decoded, reason: reason,
                                        stdoutBytes: stdoutBytes, stderrBytes: stderrBytes))
            }
            return result
        }
    }

    /// Output of one attempt from `offset` on, at most `limit` chunks.
    func output(_ id: JobID, token: Int64, stream: JobStream, from offset: Int64, limit: Int = 64) async throws -> [OutputChunk] {
        let job = id.rawValue, number = stream.number
        return try await run("reading output of \(id)") { client, logger in
            let rows = try await client.query("""
                SELECT "offset", data FROM spool_output
                WHERE job = \(job) AND token = \(token) AND stream = \(number) AND "offset" + length(data) > \(offset)
                ORDER BY "offset" LIMIT \(limit)
                """, logger: logger)
            var chunks: [OutputChunk] = []
            for try await (start, data) in rows.decode((Int64, ByteBuffer).self) {
                chunks.append(OutputChunk(stream: stream, offset: start, data: Array(data.readableBytesView)))
            }
            return chunks
        }
    }

    /// Queues a piece of a relayed job's input (its origin is the only writer, so the
    /// next number is the largest so far plus one).
    func appendInput(_ id: JobID, data: [UInt8], eof: Bool) async throws {
        let job = id.rawValue, buffer = ByteBuffer(bytes: data)
        try await run("sending input of \(id)") { client, logger in
            try await client.query("""
                INSERT INTO spool_input (job, seq, data, eof)
                SELECT \(job), coalesce(max(seq), 0) + 1, \(buffer), \(eof) FROM spool_input WHERE job = \(job)
                """, logger: logger)
        }
    }

    /// Removes the rows of this origin's jobs that ended more than `seconds` ago.
    func trim(origin: String, olderThan seconds: Double) async throws {
        try await run("trimming finished jobs") { client, logger in
            try await client.query("""
                DELETE FROM spool_job WHERE origin = \(origin) AND \(unescaped: RemoteState.finalCondition)
                AND finished_at < now() - make_interval(secs => \(seconds))
                """, logger: logger)
        }
    }

    /// The worker hosts: each name in `spool_host`, whether a receiving relay holds it now
    /// (its advisory lock, `HostLock`, shows in `pg_locks` while its session lives; a bigint
    /// key appears there as classid = high 32 bits, objid = low 32 bits, objsubid = 1), and
    /// the jobs it has claimed or runs.
    func hosts() async throws -> [RemoteHost] {
        try await run("listing worker hosts") { client, logger in
            let rows = try await client.query("""
                SELECT h.name, coalesce(h.slots, 0),
                       (extract(epoch FROM h.since) * 1000000000)::bigint,
                       EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
                               AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('spool-host:' || h.name, 0)),
                       (SELECT count(*) FROM spool_job j WHERE j.host = h.name AND j.\(unescaped: RemoteState.claimedCondition))
                FROM spool_host h ORDER BY h.name
                """, logger: logger)
            var hosts: [RemoteHost] = []
            for try await (name, slots, since, live, running) in rows.decode((String, Int32, Int64, Bool, Int64).self) {
                hosts.append(RemoteHost(name: name, live: live, running: Int(running), slots: slots > 0 ? Int(slots) : nil,
                                        since: Timestamp(nanoseconds: since)))
            }
            return hosts
        }
    }

    // MARK: receiving side (worker hosts)

    /// The jobs PostgreSQL says `host` holds (what its relay recovers after a restart),
    /// with the id of the spool whose relay claimed each ("" for claims made before spools
    /// had ids).
    func held(by host: String) async throws -> [(id: JobID, token: Int64, state: RemoteState, spool: String, session: SessionID?)] {
        try await run("listing claims of \(host)") { client, logger in
            let rows = try await client.query("""
                SELECT id, token, state, coalesce(spool, ''), coalesce(session, '') FROM spool_job
                WHERE host = \(host) AND \(unescaped: RemoteState.claimedCondition)
                """, logger: logger)
            var result: [(id: JobID, token: Int64, state: RemoteState, spool: String, session: SessionID?)] = []
            for try await (id, token, state, spool, session) in rows.decode((String, Int64, String, String, String).self) {
                if let job = JobID(id), let remoteState = RemoteState(rawValue: state) { result.append((job, token, remoteState, spool, SessionID(session))) }
            }
            return result
        }
    }

    /// Input pieces of a job from number `after` on (exclusive), in order.
    func input(_ id: JobID, after seq: Int64) async throws -> [InputPiece] {
        let job = id.rawValue
        return try await run("reading input of \(id)") { client, logger in
            let rows = try await client.query("""
                SELECT seq, data, eof FROM spool_input WHERE job = \(job) AND seq > \(seq) ORDER BY seq LIMIT 256
                """, logger: logger)
            var pieces: [InputPiece] = []
            for try await (number, data, eof) in rows.decode((Int64, ByteBuffer, Bool).self) {
                pieces.append(InputPiece(seq: number, data: Array(data.readableBytesView), eof: eof))
            }
            return pieces
        }
    }



}
