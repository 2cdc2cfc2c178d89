import Foundation
import Logging
import PostgresNIO

/// At most one receiving relay serves a worker host name at a time. Two relays with one
/// name (cloned machines, containers without a set host name, the same `--host` twice)
/// would each take the other's claims for their own: one gave back claims that were
/// running on the other spool, and those jobs ran twice.
///
/// The name is held by a session-level advisory lock on its hash, on a connection of its
/// own that stays open for the relay's life: the lock goes when the process goes, however
/// it goes (no lease to wait out), and a second relay's `pg_try_advisory_lock` fails at
/// once. `spool_host` says who holds the name, for the second relay's message. A hash
/// collision between two names would refuse the second as if the names were equal; the
/// message shows both, so the user can rename one.
struct HostLock: Sendable {
    let connection: PostgresConnection
    let name: String

    enum Failure: Error, CustomStringConvertible {
        case taken(name: String, holder: String?)
        case lost(name: String)

        var description: String {
            switch self {
            case .taken(let name, let holder):
                "host name \(name) is already served by another receiving relay (\(holder ?? "its record is not written yet")); "
                    + "two relays with one name would run jobs twice, so this one does not start. "
                    + "Give this worker host a name of its own: spool-worker --host NAME (or SPOOL_HOST)"
            case .lost(let name):
                "the PostgreSQL connection that holds host name \(name) closed; stopping, so that no other relay with this name runs beside this one"
            }
        }
    }

    /// Takes the name, or throws `taken` naming who holds it.
    static func acquire(url: PostgresURL, name: String, spool: String, spoolPath: String, slots: Int, logger: Logger) async throws -> HostLock {
        let connection = try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 1, logger: logger)
        do {
            let key = "spool-host:" + name
            var got = false
            for try await value in try await connection.query("SELECT pg_try_advisory_lock(hashtextextended(\(key), 0))", logger: logger).decode(Bool.self) {
                got = value
            }
            guard got else {
                var holder: String?
                let rows = try await connection.query("SELECT spool, holder, since::text FROM spool_host WHERE name = \(name)", logger: logger)
                for try await (spool, process, since) in rows.decode((String, String, String).self) {
                    holder = "spool \(spool), \(process), since \(since)"
                }
                throw Failure.taken(name: name, holder: holder)
            }
            let holder = "process \(getpid()) on \(ProcessInfo.processInfo.hostName)"
            let described = "\(spoolPath) (id \(spool))"
            try await connection.query("""
                INSERT INTO spool_host (name, spool, holder, slots, since) VALUES (\(name), \(described), \(holder), \(slots), now())
                ON CONFLICT (name) DO UPDATE SET spool = EXCLUDED.spool, holder = EXCLUDED.holder, slots = EXCLUDED.slots, since = now()
                """, logger: logger)
            return HostLock(connection: connection, name: name)
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Returns once the connection that holds the lock has closed: the name is no longer
    /// this relay's, and another may take it.
    func lost() async {
        try? await connection.closeFuture.get()
    }
}
