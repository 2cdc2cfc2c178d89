import MCP

/// The names and numbers of MCP 2026-07-28 that Spool's modern path uses.
enum ModernProtocol {
    static let version = "2026-07-28"
    /// Every revision spool-mcp serves, newest first, as `server/discover` lists them.
    static let servedVersions = [version, "2025-11-25"]
    /// Revisions reached through `initialize` (served by the 2025-11-25 path).
    static let handshakeVersions: Set<String> = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]

    static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
    static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    static let clientInfoKey = "io.modelcontextprotocol/clientInfo"
    static let logLevelKey = "io.modelcontextprotocol/logLevel"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
    static let subscriptionIDKey = "io.modelcontextprotocol/subscriptionId"
    static let tasksExtension = "io.modelcontextprotocol/tasks"

    static let serverInfo: Value = ["name": .string(ServerIdentity.name), "version": .string(ServerIdentity.version)]

    enum Code {
        static let parseError = -32700
        static let invalidRequest = -32600
        static let methodNotFound = -32601
        static let invalidParams = -32602
        static let internalError = -32603
        static let headerMismatch = -32020
        static let unsupportedVersion = -32022
    }

    /// The HTTP status of a JSON-RPC error on the 2026-07-28 wire (others are 200).
    static func httpStatus(of code: Int) -> Int {
        switch code {
        case Code.parseError, Code.invalidRequest, Code.invalidParams, Code.headerMismatch, Code.unsupportedVersion, -32021: 400
        case Code.methodNotFound: 404
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
}

/// A JSON-RPC error as Spool's modern path answers it.
struct ModernError: Error, Equatable {
    var code: Int
    var message: String
    var data: Value?

    static func invalidParams(_ message: String, data: Value? = nil) -> ModernError { .init(code: ModernProtocol.Code.invalidParams, message: message, data: data) }

    static func unsupported(_ requested: Value) -> ModernError {
        .init(code: ModernProtocol.Code.unsupportedVersion,
              message: "Unsupported protocol version \(requested.shortDescription): this server speaks \(ModernProtocol.version) per request, and 2025-11-25 after initialize",
              data: ["supported": [.string(ModernProtocol.version)], "requested": requested])
    }

    var value: Value {
        var error: [String: Value] = ["code": .int(code), "message": .string(message)]
        if let data { error["data"] = data }
        return .object(error)
    }
}
