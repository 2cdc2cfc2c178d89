/// A worker host as the sending relay sees it in PostgreSQL (`spool_host`, the receiving
/// relays' advisory locks and the claims), written into the relay's `workers/<name>.json`
/// so that this host's dashboard and `cat` show every host without a database client.
public struct RemoteHost: Codable, Sendable, Equatable {
    /// The worker host's name (`--host`).
    public var name: String
    /// Whether a receiving relay holds the name now (its PostgreSQL session is open).
    public var live: Bool
    /// Jobs claimed by or running on it.
    public var running: Int
    /// Jobs it runs at once (`--slots`); nil when its relay predates the column.
    public var slots: Int?
    /// When its current (or last) relay took the name.
    public var since: Timestamp

    public init(name: String, live: Bool, running: Int, slots: Int?, since: Timestamp) {
        self.name = name
        self.live = live
        self.running = running
        self.slots = slots
        self.since = since
    }
}
