import MCPWire

/// An `/mcp` request as the MCP layer sees it, without Hummingbird's types: the method,
/// the headers (lowercase names, repeated fields joined with ", ") and the whole body.
struct HTTPExchange: Sendable {
    var method: String
    var headers: [String: String]
    var body: [UInt8]?

    func header(_ name: String) -> String? { headers[name] }
}

/// What the MCP layer answers over HTTP; `MCPRoute` turns it into a Hummingbird response.
enum HTTPAnswer: Sendable {
    case json(status: Int, headers: [String: String], Value)
    case stream(AsyncStream<[UInt8]>, headers: [String: String])
    case empty(status: Int, headers: [String: String])

    /// A JSON-RPC error as the body of an HTTP error.
    static func error(_ status: Int, _ error: MCPError, id: RequestID? = nil, headers: [String: String] = [:]) -> HTTPAnswer {
        .json(status: status, headers: headers, JSONRPCMessage.response(id: id, error: error))
    }

    var status: Int {
        switch self {
        case .json(let status, _, _), .empty(let status, _): status
        case .stream: 200
        }
    }
}
