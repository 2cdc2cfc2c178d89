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

    private func run<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> T) async throws -> T {
        let client = client, logger = logger
        return try await Deadline.run(timeout, what) { try await body(client, logger) }
    }

    // MARK: sending side (the origin host)

    /// Hands a request to PostgreSQL; nothing happens when it is there already (a relay's
    /// next life inserting again).
    func insert(_ request: JobRequest, bytes: [UInt8], origin: String) async throws {
        let id = request.job.rawValue, rank = request.priority.rank, retries = request.retries ?? 0
        let buffer = ByteBuffer(bytes: bytes)
        try await run("inserting job \(id)") { client, logger in
            try await client.query("""
                INSERT INTO spool_job (id, origin, priority, request, retries)
                VALUES (\(id), \(origin), \(rank), \(buffer), \(retries))
                ON CONFLICT (id) DO NOTHING
                """, logger: logger)
        }
    }

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

    enum CancelResult: Sendable, Equatable {
        /// It was still waiting: it is cancelled, and never runs.
        case dequeued
        /// A host has it: that host's relay is told.
        case requested
        /// It had already ended, or is unknown.
        case tooLate
    }

    func cancel(_ id: JobID) async throws -> CancelResult {
        let job = id.rawValue
        return try await run("cancelling \(id)") { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                let dequeued = try await connection.query("""
                    UPDATE spool_job SET state = 'cancelled', cancel_requested = true, finished_at = now(),
                           token = nextval('spool_token'), reason = 'cancelled before it started'
                    WHERE id = \(job) AND state = 'queued' RETURNING id
                    """, logger: logger).collect()
                if !dequeued.isEmpty { return .dequeued }
                let requested = try await connection.query("""
                    UPDATE spool_job SET cancel_requested = true
                    WHERE id = \(job) AND state IN ('claimed', 'running') RETURNING id
                    """, logger: logger).collect()
                return requested.isEmpty ? .tooLate : .requested
            }
        }
    }

    /// Removes the rows of this origin's jobs that ended more than `seconds` ago.
    func trim(origin: String, olderThan seconds: Double) async throws {
        try await run("trimming finished jobs") { client, logger in
            try await client.query("""
                DELETE FROM spool_job WHERE origin = \(origin) AND state IN ('finished', 'lost', 'cancelled')
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
                       (SELECT count(*) FROM spool_job j WHERE j.host = h.name AND j.state IN ('claimed', 'running'))
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

    /// Claims up to `count` waiting jobs for `host` (whose spool has the id `spool`): sync
    /// first, then by id (FIFO), each under a new token and a lease of `lease` seconds.
    /// Claimers never wait on each other.
    func claim(host: String, spool: String, count: Int, lease: Double) async throws -> [RemoteClaim] {
        try await run("claiming") { client, logger in
            let rows = try await client.query("""
                UPDATE spool_job SET state = 'claimed', host = \(host), spool = \(spool), token = nextval('spool_token'),
                       lease_until = now() + make_interval(secs => \(lease)), attempts = attempts + 1,
                       claimed_at = now(), reason = NULL, status = NULL, stdout_bytes = 0, stderr_bytes = 0
                WHERE id IN (SELECT id FROM spool_job WHERE state = 'queued' ORDER BY priority, id
                             FOR UPDATE SKIP LOCKED LIMIT \(count))
                RETURNING id, token, priority, request
                """, logger: logger)
            var claims: [RemoteClaim] = []
            for try await (id, token, rank, request) in rows.decode((String, Int64, Int16, ByteBuffer).self) {
                guard let job = JobID(id) else { continue }
                claims.append(RemoteClaim(id: job, token: token, priority: Priority(rank: rank), request: Array(request.readableBytesView)))
            }
            return claims.sorted { ($0.priority.rank, $0.id) < ($1.priority.rank, $1.id) }
        }
    }

    /// The jobs PostgreSQL says `host` holds (what its relay recovers after a restart),
    /// with the id of the spool whose relay claimed each ("" for claims made before spools
    /// had ids).
    func held(by host: String) async throws -> [(id: JobID, token: Int64, state: RemoteState, spool: String)] {
        try await run("listing claims of \(host)") { client, logger in
            let rows = try await client.query("""
                SELECT id, token, state, coalesce(spool, '') FROM spool_job WHERE host = \(host) AND state IN ('claimed', 'running')
                """, logger: logger)
            var result: [(id: JobID, token: Int64, state: RemoteState, spool: String)] = []
            for try await (id, token, state, spool) in rows.decode((String, Int64, String, String).self) {
                if let job = JobID(id), let remoteState = RemoteState(rawValue: state) { result.append((job, token, remoteState, spool)) }
            }
            return result
        }
    }

    /// Gives a claim back that provably never started (nothing of it reached the local
    /// spool): it waits again, under a new token, and this claim does not count as an attempt.
    func release(_ id: JobID, token: Int64) async throws {
        let job = id.rawValue
        try await run("releasing \(id)") { client, logger in
            try await client.query("""
                UPDATE spool_job SET state = 'queued', host = NULL, lease_until = NULL, token = nextval('spool_token'),
                       attempts = greatest(attempts - 1, 0), claimed_at = NULL
                WHERE id = \(job) AND token = \(token) AND state = 'claimed'
                """, logger: logger)
        }
    }

    /// Extends the leases of the claims still held; returns the tokens that are still
    /// current (a missing one was taken over: its host must stop the job) and those with
    /// a cancel pending.
    func renew(host: String, tokens: [Int64], lease: Double) async throws -> (current: Set<Int64>, cancelled: Set<Int64>) {
        guard !tokens.isEmpty else { return ([], []) }
        return try await run("renewing leases") { client, logger in
            let rows = try await client.query("""
                UPDATE spool_job SET lease_until = now() + make_interval(secs => \(lease))
                WHERE host = \(host) AND token = ANY(\(tokens)) AND state IN ('claimed', 'running')
                RETURNING token, cancel_requested
                """, logger: logger)
            var current = Set<Int64>(), cancelled = Set<Int64>()
            for try await (token, cancel) in rows.decode((Int64, Bool).self) {
                current.insert(token)
                if cancel { cancelled.insert(token) }
            }
            return (current, cancelled)
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

    /// Records the worker host's running status. False when the claim is outdated.
    func started(_ id: JobID, token: Int64, status: JobStatus) async throws -> Bool {
        let job = id.rawValue, json = String(decoding: try SpoolJSON.encode(status), as: UTF8.self)
        return try await run("reporting \(id) started") { client, logger in
            let rows = try await client.query("""
                UPDATE spool_job SET state = 'running', status = \(json)::jsonb, started_at = coalesce(started_at, now())
                WHERE id = \(job) AND token = \(token) AND state IN ('claimed', 'running') RETURNING id
                """, logger: logger).collect()
            return !rows.isEmpty
        }
    }

    /// Appends a chunk of output. False when the claim is outdated (nothing is written).
    func append(_ id: JobID, token: Int64, _ chunk: OutputChunk) async throws -> Bool {
        let job = id.rawValue, number = chunk.stream.number, offset = chunk.offset, end = chunk.end
        let data = ByteBuffer(bytes: chunk.data)
        let isStdout = chunk.stream == .stdout
        return try await run("sending output of \(id)") { client, logger in
            let rows = try await client.query("""
                WITH current AS (
                  UPDATE spool_job SET
                    stdout_bytes = CASE WHEN \(isStdout) THEN greatest(stdout_bytes, \(end)) ELSE stdout_bytes END,
                    stderr_bytes = CASE WHEN \(isStdout) THEN stderr_bytes ELSE greatest(stderr_bytes, \(end)) END
                  WHERE id = \(job) AND token = \(token) AND state IN ('claimed', 'running') RETURNING id
                ), written AS (
                  INSERT INTO spool_output (job, token, stream, "offset", data)
                  SELECT id, \(token), \(number), \(offset), \(data) FROM current ON CONFLICT DO NOTHING
                )
                SELECT count(*)::bigint FROM current
                """, logger: logger)
            for try await count in rows.decode(Int64.self) { return count > 0 }
            return false
        }
    }

    /// Records the final status (after all output was appended). False when outdated.
    func finished(_ id: JobID, token: Int64, status: JobStatus) async throws -> Bool {
        let job = id.rawValue, json = String(decoding: try SpoolJSON.encode(status), as: UTF8.self)
        let stdout = status.stdoutBytes ?? 0, stderr = status.stderrBytes ?? 0
        return try await run("reporting \(id) finished") { client, logger in
            let rows = try await client.query("""
                UPDATE spool_job SET state = 'finished', status = \(json)::jsonb, finished_at = now(), lease_until = NULL,
                       stdout_bytes = \(stdout), stderr_bytes = \(stderr)
                WHERE id = \(job) AND token = \(token) AND state IN ('claimed', 'running') RETURNING id
                """, logger: logger).collect()
            return !rows.isEmpty
        }
    }

    // MARK: both sides

    /// Ends the claims whose lease ran out: a job that may retry waits again, any other
    /// is `lost` with the reason. Either way it gets a new token, so the vanished host's
    /// late writes are fenced. Returns how many were ended.
    @discardableResult
    func expireLeases() async throws -> Int {
        try await run("expiring leases") { client, logger in
            let rows = try await client.query("""
                WITH expired AS (
                  SELECT id FROM spool_job WHERE state IN ('claimed', 'running') AND lease_until < now()
                  FOR UPDATE SKIP LOCKED
                )
                UPDATE spool_job j SET
                  state = CASE WHEN j.attempts <= j.retries THEN 'queued' ELSE 'lost' END,
                  token = nextval('spool_token'),
                  reason = 'host ' || coalesce(j.host, '?') || ' stopped renewing its lease (it expired at '
                           || to_char(j.lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ')'
                           || CASE WHEN j.attempts <= j.retries THEN '; claimed again (attempt ' || (j.attempts + 1) || ' of ' || (j.retries + 1) || ')'
                                   ELSE '; its exit status is unknown' END,
                  host = CASE WHEN j.attempts <= j.retries THEN NULL ELSE j.host END,
                  lease_until = NULL,
                  finished_at = CASE WHEN j.attempts <= j.retries THEN NULL ELSE now() END
                FROM expired WHERE j.id = expired.id
                RETURNING j.id
                """, logger: logger).collect()
            return rows.count
        }
    }
}
