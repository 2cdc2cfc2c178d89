/// On a worker host: the claim in PostgreSQL under which a relayed request runs here. The
/// receiving relay writes it into the request itself (`claim` in the request file), so the
/// one atomic write that puts the request into the local queue also records the claim; a
/// restart that finds the request nowhere knows the job never reached this host.
public struct HostClaim: Codable, Sendable, Equatable {
    /// The claim's token: every write to PostgreSQL for this job names it.
    public var token: Int64
    /// The host name the claim was made under.
    public var host: String

    public init(token: Int64, host: String) {
        self.token = token
        self.host = host
    }
}
