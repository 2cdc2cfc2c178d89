import MCPWire

/// The one SSE framer: MCP streams (both revisions) and `/events` write their events
/// through it. Every `data:` payload is one line (compact JSON holds no raw newline).
enum SSEFrame {
    static func event(_ data: some Sequence<UInt8>, id: String? = nil, type: String? = "message") -> [UInt8] {
        var out: [UInt8] = []
        if let id { out += Array("id: \(id)\n".utf8) }
        if let type { out += Array("event: \(type)\n".utf8) }
        out += Array("data: ".utf8)
        out += data
        out += Array("\n\n".utf8)
        return out
    }

    /// A JSON-RPC message as an event.
    static func message(_ message: Value, id: String? = nil) -> [UInt8] {
        event(JSONWriter.bytes(message), id: id)
    }

    /// An event with an id and no message, so a client cut off before the first message
    /// can still resume with `Last-Event-ID` (SEP-1699).
    static func priming(id: String) -> [UInt8] {
        Array("id: \(id)\ndata: \n\n".utf8)
    }

    /// A comment line that keeps proxies and idle timers from closing a quiet stream.
    static let keepAlive: [UInt8] = Array(": keep-alive\n\n".utf8)
}
