/// One JSON-RPC 2.0 message, parsed once: what every transport hands the dispatcher.
public enum JSONRPCMessage: Sendable, Equatable {
    case request(id: RequestID, method: String, params: [String: Value])
    case notification(method: String, params: [String: Value])
    case response(id: RequestID, result: Result<Value, MCPError>)

    /// The message a JSON value holds, read by its shape: a string `method` with a usable
    /// id is a request, without an id a notification; an id with `result` or `error` is a
    /// response. Nil for anything else. Spool's frontend vets the finer faults first
    /// (`JSONRPCVetting`) so that each gets the error JSON-RPC prescribes.
    public init?(_ message: Value) {
        guard case .object(let object) = message else { return nil }
        let id = object["id"].flatMap(RequestID.init)
        if case .string(let method)? = object["method"] {
            let params = object["params"]?.objectValue ?? [:]
            if let id {
                self = .request(id: id, method: method, params: params)
            } else if object["id"] == nil {
                self = .notification(method: method, params: params)
            } else {
                return nil
            }
            return
        }
        guard let id else { return nil }
        if let result = object["result"] {
            self = .response(id: id, result: .success(result))
        } else if case .object(let error)? = object["error"] {
            let code = error["code"]?.intValue ?? MCPError.Code.internalError
            self = .response(id: id, result: .failure(MCPError(code: code, message: error["message"]?.stringValue ?? "", data: error["data"])))
        } else {
            return nil
        }
    }

    public var method: String? {
        switch self {
        case .request(_, let method, _), .notification(let method, _): method
        case .response: nil
        }
    }

    // MARK: - Writing

    public static func response(id: RequestID?, result: Value) -> Value {
        ["jsonrpc": "2.0", "id": id?.value ?? .null, "result": result]
    }

    public static func response(id: RequestID?, error: MCPError) -> Value {
        ["jsonrpc": "2.0", "id": id?.value ?? .null, "error": error.value]
    }

    public static func notification(_ method: String, _ params: Value) -> Value {
        ["jsonrpc": "2.0", "method": .string(method), "params": params]
    }
}

extension Value {
    /// What a value is, for an error message about it: its kind, and a short prefix of a string.
    public var shortDescription: String {
        switch self {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .int(let number): "the number \(number)"
        case .double(let number): "the number \(number)"
        case .string(let text): "the string \"\(text.prefix(40))\(text.count > 40 ? "…" : "")\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}
