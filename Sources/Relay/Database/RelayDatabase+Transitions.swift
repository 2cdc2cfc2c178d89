import Foundation
import Logging
import NIOCore
import PostgresNIO
import Spool

/// Every statement that creates a relayed job's row or changes its `state`, `token` or lease: the SQL side of
/// `RemoteLifecycle` (Sources/Spool/Lifecycle). The states a statement applies to, and the
/// state it sets, are spelled from that table (`RemoteEvent.accepted`, `RemoteState.sql`),
/// never written here by hand; `RemoteTransitionsTests` runs each (state, event) pair
/// against PostgreSQL and checks the row against the table. Every write from a worker host
/// also names its claim's token and matches no row when it is outdated (fencing).
extension RelayDatabase {
    // MARK: origin host

    /// Hands a request to PostgreSQL; nothing happens when it is there already (a relay's
    /// next life inserting again).
    func insert(_ request: JobRequest, bytes: [UInt8], origin: String) async throws {
        let id = request.job.rawValue, rank = request.priority.rank, retries = request.retries ?? 0
        let statement = PreparedStatements.Insert(id: id, origin: origin, rank: rank, request: ByteBuffer(bytes: bytes), retries: retries,
                                                  session: request.session?.rawValue, opens: request.opensSession)
        try await run("inserting job \(id)") { client, logger in
            for try await _ in try await client.execute(statement, logger: logger) {}
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
        // The states where a cancel ends the job here, and those where its host is asked.
        let ending = RemoteState.sqlList(RemoteLifecycle.states(accepting: .cancel).filter { RemoteLifecycle.transition($0, on: .cancel)?.to.isFinal == true })
        let asking = RemoteState.sqlList(RemoteLifecycle.states(accepting: .cancel).filter { RemoteLifecycle.transition($0, on: .cancel)?.to == $0 })
        let cancelled = RemoteState.cancelled.sql
        return try await run("cancelling \(id)") { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                let dequeued = try await connection.query("""
                    UPDATE spool_job SET state = \(unescaped: cancelled), cancel_requested = true, finished_at = now(),
                           token = nextval('spool_token'), reason = 'cancelled before it started'
                    WHERE id = \(job) AND state IN (\(unescaped: ending)) RETURNING id
                    """, logger: logger).collect()
                if !dequeued.isEmpty { return .dequeued }
                let requested = try await connection.query("""
                    UPDATE spool_job SET cancel_requested = true
                    WHERE id = \(job) AND state IN (\(unescaped: asking)) RETURNING id
                    """, logger: logger).collect()
                return requested.isEmpty ? .tooLate : .requested
            }
        }
    }

    // MARK: worker hosts

    /// Claims up to `count` waiting jobs for `host` (whose spool has the id `spool`): sync
    /// first, then by id (FIFO), each under a new token and a lease of `lease` seconds.
    /// Claimers never wait on each other.
    func claim(host: String, spool: String, count: Int, lease: Double) async throws -> [RemoteClaim] {
        let statement = PreparedStatements.Claim(host: host, spool: spool, lease: lease, count: count)
        return try await run("claiming") { client, logger in
            var claims: [RemoteClaim] = []
            for try await (id, token, rank, request, state) in try await client.execute(statement, logger: logger) {
                guard let job = JobID(id) else { continue }
                claims.append(RemoteClaim(id: job, token: token, priority: Priority(rank: rank), request: Array(request.readableBytesView),
                                          sessionState: state))
            }
            return claims.sorted { ($0.priority.rank, $0.id) < ($1.priority.rank, $1.id) }
        }
    }

    /// Claims, for `host`, the next command of each session open on it: the lowest waiting
    /// one, and only while no other command of that session is claimed or running, so a
    /// session's commands run in order and at most one of them is at stake when the host
    /// is lost. They take no slot: the session holds one.
    func claimSessionCommands(host: String, spool: String, lease: Double) async throws -> [RemoteClaim] {
        let to = RemoteEvent.claim.target(), from = RemoteEvent.claim.accepted
        let open = RemoteState.running.sql, busy = RemoteState.claimedCondition
        return try await run("claiming session commands") { client, logger in
            let rows = try await client.query("""
                UPDATE spool_job SET state = \(unescaped: to), host = \(host), spool = \(spool), token = nextval('spool_token'),
                       lease_until = now() + make_interval(secs => \(lease)), attempts = attempts + 1,
                       claimed_at = now(), reason = NULL, status = NULL, stdout_bytes = 0, stderr_bytes = 0
                WHERE \(unescaped: from) AND id IN (
                  SELECT min(c.id) FROM spool_job c
                  JOIN spool_job o ON o.session = c.session AND o.opens AND o.host = \(host) AND o.state = \(unescaped: open)
                  WHERE c.\(unescaped: from) AND NOT c.opens
                    AND NOT EXISTS (SELECT 1 FROM spool_job r WHERE r.session = c.session AND NOT r.opens AND r.\(unescaped: busy))
                  GROUP BY c.session)
                RETURNING id, token, priority, request
                """, logger: logger)
            var claims: [RemoteClaim] = []
            for try await (id, token, rank, request) in rows.decode((String, Int64, Int16, ByteBuffer).self) {
                guard let job = JobID(id) else { continue }
                claims.append(RemoteClaim(id: job, token: token, priority: Priority(rank: rank), request: Array(request.readableBytesView)))
            }
            return claims.sorted { $0.id < $1.id }
        }
    }

    /// Gives a claim back that provably never started (nothing of it reached the local
    /// spool): it waits again, under a new token, and this claim does not count as an attempt.
    func release(_ id: JobID, token: Int64) async throws {
        let job = id.rawValue, to = RemoteEvent.release.target(), from = RemoteEvent.release.accepted
        try await run("releasing \(id)") { client, logger in
            try await client.query("""
                UPDATE spool_job SET state = \(unescaped: to), host = NULL, lease_until = NULL, token = nextval('spool_token'),
                       attempts = greatest(attempts - 1, 0), claimed_at = NULL
                WHERE id = \(job) AND token = \(token) AND \(unescaped: from)
                """, logger: logger)
        }
    }

    /// Extends the leases of the claims still held; returns the tokens that are still
    /// current (a missing one was taken over: its host must stop the job) and those with
    /// a cancel pending.
    func renew(host: String, tokens: [Int64], lease: Double) async throws -> (current: Set<Int64>, cancelled: Set<Int64>) {
        guard !tokens.isEmpty else { return ([], []) }
        let from = RemoteEvent.renew.accepted
        return try await run("renewing leases") { client, logger in
            let rows = try await client.query("""
                UPDATE spool_job SET lease_until = now() + make_interval(secs => \(lease))
                WHERE host = \(host) AND token = ANY(\(tokens)) AND \(unescaped: from)
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

    /// Records the worker host's running status. False when the claim is outdated.
    func started(_ id: JobID, token: Int64, status: JobStatus) async throws -> Bool {
        let job = id.rawValue, json = String(decoding: try SpoolJSON.encode(status), as: UTF8.self)
        let to = RemoteEvent.reportRunning.target(), from = RemoteEvent.reportRunning.accepted
        return try await run("reporting \(id) started") { client, logger in
            let rows = try await client.query("""
                UPDATE spool_job SET state = \(unescaped: to), status = \(json)::jsonb, started_at = coalesce(started_at, now())
                WHERE id = \(job) AND token = \(token) AND \(unescaped: from) RETURNING id
                """, logger: logger).collect()
            return !rows.isEmpty
        }
    }

    /// Appends a chunk of output. False when the claim is outdated (nothing is written).
    func append(_ id: JobID, token: Int64, _ chunk: OutputChunk) async throws -> Bool {
        let job = id.rawValue, number = chunk.stream.number, offset = chunk.offset, end = chunk.end
        let data = ByteBuffer(bytes: chunk.data)
        let isStdout = chunk.stream == .stdout
        let from = RemoteEvent.reportOutput.accepted
        return try await run("sending output of \(id)") { client, logger in
            let rows = try await client.query("""
                WITH current AS (
                  UPDATE spool_job SET
                    stdout_bytes = CASE WHEN \(isStdout) THEN greatest(stdout_bytes, \(end)) ELSE stdout_bytes END,
                    stderr_bytes = CASE WHEN \(isStdout) THEN stderr_bytes ELSE greatest(stderr_bytes, \(end)) END
                  WHERE id = \(job) AND token = \(token) AND \(unescaped: from) RETURNING id
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

    /// The state a session's command left (cwd, exported variables, functions), kept on
    /// its opener's row under the opener's claim.
    struct SessionSave: Sendable {
        var opener: JobID
        var token: Int64
        /// `SessionSnapshot` as JSON.
        var state: String
    }

    /// Records the final status (after all output was appended). False when outdated. For
    /// a session's command, `session` saves the state it left in the same statement; false
    /// also when the opener's claim is outdated (the session lives elsewhere now).
    func finished(_ id: JobID, token: Int64, status: JobStatus, session: SessionSave? = nil) async throws -> Bool {
        let json = String(decoding: try SpoolJSON.encode(status), as: UTF8.self)
        let stdoutBytes = status.stdoutBytes ?? 0, stderrBytes = status.stderrBytes ?? 0
        let finished = PreparedStatements.Finished(id: id.rawValue, token: token, status: json, stdoutBytes: stdoutBytes, stderrBytes: stderrBytes)
        return try await run("reporting \(id) finished") { client, logger in
            // Either statement returns the job's row when it matched.
            let rows = if let session {
                try await client.execute(PreparedStatements.FinishedInSession(finished: finished, opener: session.opener.rawValue,
                                                                              openerToken: session.token, state: session.state), logger: logger)
            } else {
                try await client.execute(finished, logger: logger)
            }
            var updated = false
            for try await _ in rows { updated = true } // read to the end: the connection goes back clean
            return updated
        }
    }

    // MARK: either side

    /// Ends the claims whose lease ran out: a job that may retry waits again, any other
    /// is `lost` with the reason. Either way it gets a new token, so the vanished host's
    /// late writes are fenced. Returns how many were ended.
    @discardableResult
    func expireLeases() async throws -> Int {
        let retry = RemoteEvent.expire.target(retriesLeft: true), lose = RemoteEvent.expire.target(retriesLeft: false)
        let from = RemoteEvent.expire.accepted
        return try await run("expiring leases") { client, logger in
            let rows = try await client.query("""
                WITH expired AS (
                  SELECT id FROM spool_job WHERE \(unescaped: from) AND lease_until < now()
                  FOR UPDATE SKIP LOCKED
                )
                UPDATE spool_job j SET
                  state = CASE WHEN j.opens OR j.attempts <= j.retries THEN \(unescaped: retry) ELSE \(unescaped: lose) END,
                  token = nextval('spool_token'),
                  reason = 'host ' || coalesce(j.host, '?') || ' stopped renewing its lease (it expired at '
                           || to_char(j.lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ')'
                           || CASE WHEN j.opens THEN '; the session opens again on another host from its saved state'
                                   WHEN j.attempts <= j.retries THEN '; claimed again (attempt ' || (j.attempts + 1) || ' of ' || (j.retries + 1) || ')'
                                   ELSE '; its exit status is unknown' END,
                  host = CASE WHEN j.opens OR j.attempts <= j.retries THEN NULL ELSE j.host END,
                  lease_until = NULL,
                  finished_at = CASE WHEN j.opens OR j.attempts <= j.retries THEN NULL ELSE now() END
                FROM expired WHERE j.id = expired.id
                RETURNING j.id
                """, logger: logger).collect()
            return rows.count
        }
    }
}

/// The statements every relayed job goes through, prepared once per connection: parsed and
/// planned by PostgreSQL once instead of on every call. Their states are spelled from
/// `RemoteLifecycle` like every other statement here.
enum PreparedStatements {
    /// A's hand-over: `RelayDatabase.insert`.
    struct Insert: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO spool_job (id, origin, priority, request, retries, session, opens)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (id) DO NOTHING
            """
        typealias Row = Void
        var id: String, origin: String, rank: Int16, request: ByteBuffer, retries: Int
        /// The session it opens or belongs to.
        var session: String?
        var opens: Bool

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(id)
            bindings.append(origin)
            bindings.append(rank)
            bindings.append(request)
            bindings.append(retries)
            bindings.append(session)
            bindings.append(opens)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// A worker host's claim: `RelayDatabase.claim`.
    struct Claim: PostgresPreparedStatement {
        static let sql = """
            UPDATE spool_job SET state = \(RemoteEvent.claim.target()), host = $1, spool = $2, token = nextval('spool_token'),
                   lease_until = now() + make_interval(secs => $3), attempts = attempts + 1,
                   claimed_at = now(), reason = NULL, status = NULL, stdout_bytes = 0, stderr_bytes = 0
            WHERE id IN (SELECT id FROM spool_job WHERE \(RemoteEvent.claim.accepted) AND (session IS NULL OR opens)
                         ORDER BY priority, id FOR UPDATE SKIP LOCKED LIMIT $4)
            RETURNING id, token, priority, request, session_state::text
            """
        typealias Row = (String, Int64, Int16, ByteBuffer, String?)
        var host: String, spool: String, lease: Double, count: Int

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(host)
            bindings.append(spool)
            bindings.append(lease)
            bindings.append(count)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// A worker host's final status: `RelayDatabase.finished`.
    struct Finished: PostgresPreparedStatement {
        static let sql = """
            UPDATE spool_job SET state = \(RemoteEvent.reportFinished.target()), status = $3::jsonb, finished_at = now(), lease_until = NULL,
                   stdout_bytes = $4, stderr_bytes = $5
            WHERE id = $1 AND token = $2 AND \(RemoteEvent.reportFinished.accepted) RETURNING id
            """
        typealias Row = String
        var id: String, token: Int64, status: String, stdoutBytes: Int64, stderrBytes: Int64

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(id)
            bindings.append(token)
            bindings.append(status)
            bindings.append(stdoutBytes)
            bindings.append(stderrBytes)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(String.self) }
    }

    /// A session command's final status and the state it left, saved on its opener's row
    /// under the opener's claim, in one statement: `RelayDatabase.finished(session:)`.
    struct FinishedInSession: PostgresPreparedStatement {
        static let sql = """
            WITH saved AS (
              UPDATE spool_job SET session_state = $7::jsonb
              WHERE id = $6 AND token = $8 AND opens AND \(RemoteState.claimedCondition) RETURNING id
            )
            UPDATE spool_job SET state = \(RemoteEvent.reportFinished.target()), status = $3::jsonb, finished_at = now(), lease_until = NULL,
                   stdout_bytes = $4, stderr_bytes = $5
            WHERE id = $1 AND token = $2 AND \(RemoteEvent.reportFinished.accepted) AND EXISTS (SELECT 1 FROM saved) RETURNING id
            """
        typealias Row = String
        var finished: Finished
        var opener: String, openerToken: Int64, state: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = try finished.makeBindings()
            bindings.append(opener)
            bindings.append(state)
            bindings.append(openerToken)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(String.self) }
    }
}

extension RemoteState {
    /// The state as an SQL literal, from the enum (never from input).
    var sql: String { "'\(rawValue)'" }

    static func sqlList(_ states: [RemoteState]) -> String { states.map(\.sql).joined(separator: ", ") }

    /// `state IN (…)` of the states in which a worker host holds a claim.
    static var claimedCondition: String { "state IN (\(sqlList(allCases.filter(\.isClaimed))))" }
    /// `state IN (…)` of the final states.
    static var finalCondition: String { "state IN (\(sqlList(allCases.filter(\.isFinal))))" }
}

extension RemoteEvent {
    /// `state IN (…)`: the states the lifecycle lets this event apply to.
    var accepted: String { "state IN (\(RemoteState.sqlList(RemoteLifecycle.states(accepting: self))))" }

    /// The state this event sets, as an SQL literal: the same from every state it accepts
    /// that changes the state (a statement sets one value).
    func target(retriesLeft: Bool = false) -> String {
        let targets = Set(RemoteLifecycle.states(accepting: self).compactMap { RemoteLifecycle.transition($0, on: self, retriesLeft: retriesLeft)?.to })
        precondition(targets.count == 1, "\(self) leads to \(targets.count) states; its statement sets one")
        return targets.first!.sql
    }
}
