import MCPWire

/// Checks a JSON-RPC message's shape before the dispatcher sees it, so that every
/// malformed message gets the error JSON-RPC and MCP prescribe (a bad id: -32600 with id
/// null; bad params of a method: -32602 with the request's id; a bad notification: no
/// answer). Pure: both transports (stdio and HTTP) call it with the decoded message.
enum JSONRPCVetting {
    enum Verdict: Equatable {
        /// Hand it to the dispatcher.
        case forward
        /// Answer with this error instead (`id` is null when the message's own id is unusable).
        case reply(code: Int, message: String, id: Value)
        /// A notification that cannot be used: dropped without an answer, since a
        /// notification is never answered (JSON-RPC 2.0, section 4.1).
        case ignore
    }

    static let parseError = -32700
    static let invalidRequest = -32600
    static let invalidParams = -32602

    static func vet(_ message: Value) -> Verdict {
        guard case .object(let object) = message else {
            if case .array(let items) = message, !items.isEmpty {
                return .reply(code: invalidRequest, message: "Invalid Request: JSON-RPC batches are not supported by MCP (removed in 2025-06-18); send one message per line or request", id: .null)
            }
            return .reply(code: invalidRequest, message: "Invalid Request: a message must be a JSON object", id: .null)
        }
        let id: Value? = object["id"]
        let usableID: Value
        switch id {
        case .string, .int: usableID = id!
        default: usableID = .null
        }
        guard object["jsonrpc"] == .string("2.0") else {
            return .reply(code: invalidRequest, message: "Invalid Request: \"jsonrpc\" must be \"2.0\"", id: usableID)
        }
        if let id, usableID == .null {
            return .reply(code: invalidRequest, message: "Invalid Request: \"id\" must be a string or an integer, got \(describe(id))", id: .null)
        }
        if let method = object["method"] {
            guard case .string(let name) = method else {
                return .reply(code: invalidRequest, message: "Invalid Request: \"method\" must be a string, got \(describe(method))", id: usableID)
            }
            let verdict = vetParams(method: name, params: object["params"], id: usableID)
            if id == nil, case .reply = verdict { return .ignore }
            return verdict
        }
        let isResponse = id != nil && (object["result"] != nil || object["error"] != nil)
        guard isResponse else {
            return .reply(code: invalidRequest, message: "Invalid Request: a message needs a string \"method\" (or is a response with \"id\" and \"result\" or \"error\")", id: usableID)
        }
        return .forward
    }

    /// The params of the methods whose shape every handler relies on. For notifications
    /// (`id` null) `vet` turns a fault into `ignore`.
    private static func vetParams(method: String, params: Value?, id: Value) -> Verdict {
        let object: [String: Value]
        switch params {
        case nil, .null?: object = [:]
        case .object(let value)?: object = value
        case let other?:
            return .reply(code: invalidParams, message: "Invalid params: \"params\" of \(method) must be an object, got \(describe(other))", id: id)
        }
        if let meta = object["_meta"], !meta.isObject {
            return .reply(code: invalidParams, message: "Invalid params: \"_meta\" must be an object, got \(describe(meta))", id: id)
        }
        func require(_ field: String, _ what: String, _ check: (Value) -> Bool) -> Verdict? {
            guard let value = object[field], value != .null else {
                return .reply(code: invalidParams, message: "Invalid params: \(method) needs \"\(field)\" (\(what))", id: id)
            }
            return check(value) ? nil : .reply(code: invalidParams, message: "Invalid params: \"\(field)\" of \(method) must be \(what), got \(describe(value))", id: id)
        }
        switch method {
        case "tools/call":
            if let problem = require("name", "a tool name string", \.isString) { return problem }
            if let arguments = object["arguments"], arguments != .null, !arguments.isObject {
                return .reply(code: invalidParams, message: "Invalid params: \"arguments\" of tools/call must be an object of the tool's arguments, got \(describe(arguments))", id: id)
            }
        case "resources/read", "resources/subscribe", "resources/unsubscribe":
            if let problem = require("uri", "a resource URI string", \.isString) { return problem }
        case "logging/setLevel":
            let levels = LogLevel.allCases.map(\.rawValue)
            if let problem = require("level", "one of \(levels.joined(separator: ", "))", { levels.contains($0.stringValue ?? "") }) { return problem }
        case "initialize":
            if let problem = require("protocolVersion", "a protocol version string such as \"2025-11-25\"", \.isString) { return problem }
            if let capabilities = object["capabilities"], !capabilities.isObject {
                return .reply(code: invalidParams, message: "Invalid params: \"capabilities\" of initialize must be an object, got \(describe(capabilities))", id: id)
            }
        default:
            break
        }
        return .forward
    }

    /// Before `initialize`, MCP allows only `initialize` and `ping` requests.
    static func gate(_ message: Value, initialized: Bool) -> Verdict {
        guard !initialized, case .object(let object) = message, case .string(let method)? = object["method"],
              let id = object["id"] else { return .forward }
        if method == "initialize" || method == "ping" { return .forward }
        return .reply(code: invalidRequest, message: "Invalid Request: \(method.prefix(60)) before initialize; send initialize first (only ping may come before it)", id: id)
    }

    static func describe(_ value: Value) -> String { value.shortDescription }

    /// The JSON-RPC error response to a verdict's `reply` (its `id` is a usable id or null).
    static func errorResponse(code: Int, message: String, id: Value) -> Value {
        JSONRPCMessage.response(id: RequestID(id), error: MCPError(code: code, message: message))
    }
}
