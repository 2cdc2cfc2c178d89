import PostgresNIO
import Spool

/// The tables the relays share. Every statement is idempotent, and they run in one
/// transaction under an advisory lock, so any number of relays may start at once.
///
/// - `spool_job`: one row per relayed job: the request as its origin wrote it, where it
///   runs (`host`), the claim (`token`, `lease_until`), the worker host's `status.json`,
///   and the output sizes. `state`: queued → claimed → running → finished, or lost /
///   cancelled. `token` comes from one sequence and grows with every claim and every
///   takeover, so a write naming an older token matches no row.
/// - `spool_output`: the output in chunks, keyed by job, token (attempt), stream, offset.
/// - `spool_input`: what `send_input` wrote to a relayed job, in order, and its end.
/// - `spool_jobs`: the view people read with psql: the cross-host `ls`.
/// - `spool_host`: who serves each worker host name now (its spool and process), for the
///   message that refuses a second relay with that name; the name itself is held by a
///   session-level advisory lock (`HostLock`). `spool_job.spool` is the id of the spool
///   (`spool/host.json`) whose relay made the current claim.
enum RelaySchema {
    static let lockKey: Int64 = 0x5350_4F4F_4C01

    static let statements: [String] = [
        """
        CREATE TABLE IF NOT EXISTS spool_job (
          id text PRIMARY KEY,
          origin text NOT NULL,
          priority smallint NOT NULL,
          request bytea NOT NULL,
          state text NOT NULL DEFAULT \(RemoteState.queued.sql)
            CHECK (state IN (\(RemoteState.sqlList(RemoteState.allCases)))),
          host text,
          token bigint NOT NULL DEFAULT 0,
          lease_until timestamptz,
          attempts integer NOT NULL DEFAULT 0,
          retries integer NOT NULL DEFAULT 0,
          cancel_requested boolean NOT NULL DEFAULT false,
          status jsonb,
          reason text,
          stdout_bytes bigint NOT NULL DEFAULT 0,
          stderr_bytes bigint NOT NULL DEFAULT 0,
          created_at timestamptz NOT NULL DEFAULT now(),
          claimed_at timestamptz,
          started_at timestamptz,
          finished_at timestamptz
        )
        """,
        "ALTER TABLE spool_job ADD COLUMN IF NOT EXISTS spool text",
        // Sessions across hosts: the session a row belongs to (its opener, or a command of
        // it), whether the row opens it, and (on the opener) the state its last command left.
        "ALTER TABLE spool_job ADD COLUMN IF NOT EXISTS session text",
        "ALTER TABLE spool_job ADD COLUMN IF NOT EXISTS opens boolean NOT NULL DEFAULT false",
        "ALTER TABLE spool_job ADD COLUMN IF NOT EXISTS session_state jsonb",
        "CREATE INDEX IF NOT EXISTS spool_job_by_session ON spool_job (session, id) WHERE session IS NOT NULL",
        """
        CREATE TABLE IF NOT EXISTS spool_host (
          name text PRIMARY KEY,
          spool text NOT NULL,
          holder text NOT NULL,
          since timestamptz NOT NULL DEFAULT now()
        )
        """,
        "ALTER TABLE spool_host ADD COLUMN IF NOT EXISTS slots integer",
        "CREATE INDEX IF NOT EXISTS spool_job_waiting ON spool_job (priority, id) WHERE state = \(RemoteState.queued.sql)",
        "CREATE INDEX IF NOT EXISTS spool_job_leased ON spool_job (lease_until) WHERE \(RemoteState.claimedCondition)",
        "CREATE INDEX IF NOT EXISTS spool_job_by_host ON spool_job (host) WHERE \(RemoteState.claimedCondition)",
        """
        CREATE TABLE IF NOT EXISTS spool_output (
          job text NOT NULL REFERENCES spool_job (id) ON DELETE CASCADE,
          token bigint NOT NULL,
          stream smallint NOT NULL,
          "offset" bigint NOT NULL,
          data bytea NOT NULL,
          PRIMARY KEY (job, token, stream, "offset")
        )
        """,
        // send_input of a relayed job: pieces in order (`seq`), the last one may close the input.
        """
        CREATE TABLE IF NOT EXISTS spool_input (
          job text NOT NULL REFERENCES spool_job (id) ON DELETE CASCADE,
          seq bigint NOT NULL,
          data bytea NOT NULL,
          eof boolean NOT NULL DEFAULT false,
          PRIMARY KEY (job, seq)
        )
        """,
        """
        CREATE OR REPLACE FUNCTION spool_input_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE target text;
        BEGIN
          SELECT host INTO target FROM spool_job WHERE id = NEW.job;
          IF target IS NOT NULL THEN PERFORM pg_notify('spool_control', target); END IF;
          RETURN NEW;
        END
        $$
        """,
        """
        CREATE OR REPLACE TRIGGER spool_input_notify AFTER INSERT ON spool_input
          FOR EACH ROW EXECUTE FUNCTION spool_input_notify()
        """,
        "CREATE SEQUENCE IF NOT EXISTS spool_token",
        // NOTIFY from the database itself, so every change wakes whoever waits for it,
        // whichever relay (or person with psql) made it. Lease renewals alone stay silent.
        """
        CREATE OR REPLACE FUNCTION spool_job_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.state = \(RemoteState.queued.sql) AND (TG_OP = 'INSERT' OR OLD.state <> \(RemoteState.queued.sql)) THEN
            -- A session's command says so: only the host holding its session takes it.
            PERFORM pg_notify('spool_queue', NEW.id || CASE WHEN NEW.session IS NOT NULL AND NOT NEW.opens THEN ' command' ELSE '' END);
          END IF;
          IF TG_OP = 'UPDATE' AND NEW.cancel_requested AND NOT OLD.cancel_requested AND NEW.host IS NOT NULL THEN
            PERFORM pg_notify('spool_control', NEW.host);
          END IF;
          IF TG_OP = 'UPDATE' AND (NEW.state, NEW.token, NEW.stdout_bytes, NEW.stderr_bytes, NEW.status)
               IS DISTINCT FROM (OLD.state, OLD.token, OLD.stdout_bytes, OLD.stderr_bytes, OLD.status) THEN
            -- The row itself rides along when it fits (NOTIFY payloads stop at 8000 bytes),
            -- which spares the origin a query per change.
            DECLARE
              full_payload text := NEW.origin || ' ' || NEW.id || ' ' || NEW.state || ' ' || NEW.token || ' '
                || NEW.stdout_bytes || ' ' || NEW.stderr_bytes || ' ' || coalesce(NEW.host, '-') || ' ' || coalesce(NEW.status::text, '');
            BEGIN
              PERFORM pg_notify('spool_job', CASE WHEN octet_length(full_payload) < 7000 THEN full_payload
                                                  ELSE NEW.origin || ' ' || NEW.id END);
            END;
          END IF;
          RETURN NEW;
        END
        $$
        """,
        """
        CREATE OR REPLACE TRIGGER spool_job_notify AFTER INSERT OR UPDATE ON spool_job
          FOR EACH ROW EXECUTE FUNCTION spool_job_notify()
        """,
        """
        CREATE OR REPLACE VIEW spool_jobs AS
          SELECT id AS job, origin, host, state,
                 CASE priority WHEN 0 THEN 'sync' ELSE 'async' END AS priority,
                 token, lease_until, attempts, retries,
                 (status ->> 'exitCode')::integer AS exit_code,
                 stdout_bytes, stderr_bytes, cancel_requested, reason,
                 created_at, claimed_at, started_at, finished_at
          FROM spool_job
          ORDER BY id DESC
        """,
    ]

    /// On a connection of its own, not the pool's: a pool retries a refused login
    /// silently, while this reports why (a pg_hba.conf entry missing, a wrong password).
    static func install(_ url: PostgresURL, logger: Logger) async throws {
        let connection = try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 0, logger: logger)
        do {
            try await connection.query("BEGIN", logger: logger)
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            for statement in statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
