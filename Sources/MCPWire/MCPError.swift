/// A JSON-RPC error as MCP sends it: `code`, `message` and optional `data`. The message
/// is what a user reads, so each constructor prefixes the JSON-RPC name of its code
/// ("Invalid params: …") to the detail that says what to do.
public struct MCPError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: Value?

    public init(code: Int, message: String, data: Value? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public enum Code {
        public static let parseError = -32700
        public static let invalidRequest = -32600
        public static let methodNotFound = -32601
        public static let invalidParams = -32602
        public static let internalError = -32603
        /// MCP: a resource that does not exist (2025-11-25).
        public static let resourceNotFound = -32002
        /// 2026-07-28: an HTTP routing header that does not match the body.
        public static let headerMismatch = -32020
        /// 2026-07-28: a protocol version this server does not speak.
        public static let unsupportedVersion = -32022
    }

    public static func parseError(_ detail: String) -> MCPError { .init(code: Code.parseError, message: "Parse error: " + detail) }
    public static func invalidRequest(_ detail: String) -> MCPError { .init(code: Code.invalidRequest, message: "Invalid Request: " + detail) }
    public static func methodNotFound(_ detail: String) -> MCPError { .init(code: Code.methodNotFound, message: "Method not found: " + detail) }
    public static func invalidParams(_ detail: String, data: Value? = nil) -> MCPError { .init(code: Code.invalidParams, message: "Invalid params: " + detail, data: data) }
    public static func internalError(_ detail: String, data: Value? = nil) -> MCPError { .init(code: Code.internalError, message: "Internal error: " + detail, data: data) }
    public static func resourceNotFound(_ detail: String, uri: String) -> MCPError {
        .init(code: Code.resourceNotFound, message: "Resource not found: " + detail, data: ["uri": .string(uri)])
    }

    public var value: Value {
        var error: [String: Value] = ["code": .int(code), "message": .string(message)]
        if let data { error["data"] = data }
        return .object(error)
    }

    public var description: String { message }
}
