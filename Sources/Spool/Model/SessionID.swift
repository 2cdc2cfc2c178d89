/// A persistent session's id. It is written like a job id (a ULID) because a session is
/// opened by a request in the sync queue whose job id it is, but it is its own type, so a
/// session cannot be passed where a job is meant (or the other way round) by mistake.
public struct SessionID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The id of the request that opens the session (`queue/sync/<id>.json`, `done/<id>.json`).
    public let opener: JobID

    public init(opening job: JobID) {
        opener = job
    }

    /// Accepts only well-formed ids, so `../x` never reaches a path.
    public init?(_ text: String) {
        guard let job = JobID(text) else { return nil }
        opener = job
    }

    public static func make() -> SessionID { SessionID(opening: .make()) }

    public var rawValue: String { opener.rawValue }
    public var description: String { opener.rawValue }
    public var createdAt: Timestamp { opener.createdAt }

    public static func < (lhs: SessionID, rhs: SessionID) -> Bool { lhs.opener < rhs.opener }

    public init(from decoder: any Decoder) throws {
        opener = try JobID(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try opener.encode(to: encoder)
    }
}
