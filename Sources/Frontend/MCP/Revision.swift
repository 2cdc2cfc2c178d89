/// Which MCP revision a request came in. It decides admission (`initialize` or the
/// per-request envelope), how a result is decorated (`resultType`, cache hints, server
/// info) and where notices may go; everything else is one code path.
enum Revision: Hashable, Sendable {
    /// 2025-11-25, or an older revision a client negotiated with `initialize`.
    case handshake(version: String)
    /// 2026-07-28: no session; every request carries its version and capabilities.
    case envelope

    enum Kind: Hashable, Sendable { case handshake, envelope }

    var kind: Kind {
        switch self {
        case .handshake: .handshake
        case .envelope: .envelope
        }
    }

    var version: String {
        switch self {
        case .handshake(let version): version
        case .envelope: ModernProtocol.version
        }
    }

    /// Revisions reached through `initialize`, newest first.
    static let handshakeVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

    /// The version `initialize` settles on: the client's when it is one of ours, else our newest.
    static func negotiate(_ requested: String) -> String {
        handshakeVersions.contains(requested) ? requested : handshakeVersions[0]
    }
}
