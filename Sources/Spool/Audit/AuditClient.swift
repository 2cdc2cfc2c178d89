/// The MCP client that asked for something, as the audit log and the request file record
/// it (DESIGN.md, "Audit log"). Never the token itself: only whether one was used.
public struct AuditClient: Codable, Sendable, Equatable {
    public enum Transport: String, Codable, Sendable {
        case stdio
        case http
    }

    /// From `initialize` (2025-11-25) or the request's envelope (2026-07-28); nil when the
    /// client sent none.
    public var name: String?
    public var version: String?
    public var transport: Transport
    /// The HTTP peer's address and port.
    public var peer: String?
    /// Whether the request carried the bearer token (`--token`); false on stdio.
    public var token: Bool
    /// The MCP session id (2025-11-25 over HTTP).
    public var mcpSession: String?
    /// Which of the two revisions Spool serves the request came in: "2025-11-25" (an
    /// `initialize`d connection, whatever older version it may have negotiated) or
    /// "2026-07-28" (a request with its own envelope).
    public var revision: String?

    public init(name: String? = nil, version: String? = nil, transport: Transport, peer: String? = nil, token: Bool = false,
                mcpSession: String? = nil, revision: String? = nil) {
        self.name = name
        self.version = version
        self.transport = transport
        self.peer = peer
        self.token = token
        self.mcpSession = mcpSession
        self.revision = revision
    }

    /// Bounds what a client's own words may take in each line (a name is free text).
    public func bounded() -> AuditClient {
        var copy = self
        copy.name = name.map { String($0.prefix(200)) }
        copy.version = version.map { String($0.prefix(100)) }
        copy.revision = revision.map { String($0.prefix(40)) }
        return copy
    }
}
