import MCPWire

/// The one name and version spool-mcp gives itself, in both revisions: `initialize`'s
/// `serverInfo` (2025-11-25) and every 2026-07-28 result's server info.
enum ServerIdentity {
    static let name = "spool"
    static let version = "0.5.0"
    static let info: Value = ["name": .string(name), "version": .string(version)]
}
