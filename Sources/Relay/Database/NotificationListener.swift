import Logging
import PostgresNIO

/// LISTEN on a dedicated connection, reconnecting after any failure (a PostgreSQL
/// restart, a network partition found by a periodic probe). Each (re)connect reports a
/// gap, since notifications sent meanwhile are gone; the relays then look at everything.
struct NotificationListener: Sendable {
    let url: PostgresURL
    let channels: [String]
    let logger: Logger
    let onNotification: @Sendable (_ channel: String, _ payload: String) -> Void
    let onGap: @Sendable () -> Void
    /// Seconds between probes of the connection (a dead TCP peer sends no error).
    var probeInterval: Double = 5

    func run() async {
        var backoff = 0.2
        while !Task.isCancelled {
            var connection: PostgresConnection?
            do {
                let configuration = try url.connectionConfiguration()
                let logger = logger
                connection = try await Deadline.run(5, "connecting to \(url) for LISTEN") {
                    try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
                }
                guard let connection else { continue }
                backoff = 0.2
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for channel in channels {
                        group.addTask {
                            try await connection.listen(on: channel) { notifications in
                                onGap()
                                for try await notification in notifications { onNotification(channel, notification.payload) }
                            }
                            throw ListenEnded(channel: channel)
                        }
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: .milliseconds(Int64(probeInterval * 1000)))
                            try await Deadline.run(5, "probing the LISTEN connection") {
                                try await connection.query("SELECT 1", logger: logger)
                            }
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning("LISTEN connection to \(url) failed: \(error); reconnecting in \(backoff) s")
            }
            if let connection { try? await Deadline.run(2, "closing") { try await connection.close() } }
            onGap()
            try? await Task.sleep(for: .milliseconds(Int64(backoff * 1000)))
            backoff = min(backoff * 2, 5)
        }
    }

    struct ListenEnded: Error, CustomStringConvertible {
        let channel: String
        var description: String { "the LISTEN stream for \(channel) ended" }
    }
}
