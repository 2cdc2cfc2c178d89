import MCPWire

/// The names and numbers of MCP 2026-07-28 (the envelope revision).
enum ModernProtocol {
    static let version = "2026-07-28"
    /// Every revision spool-mcp serves, newest first, as `server/discover` lists them.
    static let servedVersions = [version] + Revision.handshakeVersions.prefix(1)

    static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
    static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    static let clientInfoKey = "io.modelcontextprotocol/clientInfo"
    static let logLevelKey = "io.modelcontextprotocol/logLevel"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
    static let subscriptionIDKey = "io.modelcontextprotocol/subscriptionId"
    static let tasksExtension = "io.modelcontextprotocol/tasks"

    /// The HTTP status of a JSON-RPC error on the 2026-07-28 wire (others are 200).
    static func httpStatus(of code: Int) -> Int {
        switch code {
        case MCPError.Code.parseError, MCPError.Code.invalidRequest, MCPError.Code.invalidParams,
             MCPError.Code.headerMismatch, MCPError.Code.unsupportedVersion, -32021: 400
        case MCPError.Code.methodNotFound: 404
        default: 200
        }
    }

    /// The methods whose `Mcp-Name` header mirrors a body field.
    static func nameField(of method: String) -> String? {
        switch method {
        case "tools/call", "prompts/get": "name"
        case "resources/read": "uri"
        case "tasks/get", "tasks/update", "tasks/cancel": "taskId"
        default: nil
        }
    }

    static func unsupported(_ requested: Value) -> MCPError {
        MCPError(code: MCPError.Code.unsupportedVersion,
                 message: "Unsupported protocol version \(requested.shortDescription): this server speaks \(version) per request, and 2025-11-25 after initialize",
                 data: ["supported": [.string(version)], "requested": requested])
    }
}
