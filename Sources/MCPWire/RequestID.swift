/// A JSON-RPC request id: a string or an integer (MCP forbids null). The request `"1"`
/// and the request `1` are different requests.
public enum RequestID: Hashable, Sendable, CustomStringConvertible {
    case string(String)
    case int(Int)

    public init?(_ value: Value) {
        switch value {
        case .string(let text): self = .string(text)
        case .int(let number): self = .int(number)
        default: return nil
        }
    }

    public var value: Value {
        switch self {
        case .string(let text): .string(text)
        case .int(let number): .int(number)
        }
    }

    public var description: String {
        switch self {
        case .string(let text): "\"\(text)\""
        case .int(let number): String(number)
        }
    }
}

/// A progress token (`params._meta.progressToken`): a string or an integer, like an id.
public typealias ProgressToken = RequestID
