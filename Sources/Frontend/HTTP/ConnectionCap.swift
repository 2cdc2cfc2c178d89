import Hummingbird
import HummingbirdCore
import Logging
import Spool

/// At most `limit` open HTTP connections; past it the server stops accepting (new ones
/// wait in the listen backlog) and says so in the log once each time the limit is hit.
/// Hummingbird's own `MaximumAvailableConnections` logs only at trace level.
struct ConnectionCap: AvailableConnectionsDelegate {
    let limit: Int
    let logger: Logger
    private var open = 0

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        if open == limit {
            logger.warning("HTTP connection limit reached: \(limit) connections are open; new connections wait until one closes (raise it with --http-max-connections)")
        }
    }

    mutating func connectionClosed() {
        open -= 1
    }

    func isAcceptingNewConnections() -> Bool { open < limit }
}

/// How long the HTTP server lets a client take, so that slow or stalled clients
/// (slowloris) cannot hold connections open.
struct HTTPLimits: Sendable {
    /// From the connection's start, or the end of its previous response, until a whole
    /// request head has arrived; also how long a keep-alive connection may sit idle.
    var headerTimeout: Double = Settings.httpHeaderTimeout
    /// For a request body to arrive in full once its head has.
    var bodyTimeout: Double = Settings.httpBodyTimeout
    /// For a client to take bytes of a stream it is sent; one that stops reading longer
    /// is disconnected.
    var stallTimeout: Double = Settings.httpStallTimeout
    var maxConnections: Int = Settings.httpMaxConnections
}
