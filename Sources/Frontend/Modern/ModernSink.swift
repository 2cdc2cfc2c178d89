import MCP

/// Where a 2026-07-28 request's notifications go: the stream of that request only (its
/// SSE response, or the stdio pipe tagged with nothing but the request's own ids).
/// `send` returns false once nobody reads any more, and then the request ends.
struct ModernSink: Sendable {
    let send: @Sendable (_ method: String, _ params: Value) async -> Bool

    static let none = ModernSink { _, _ in true }

    func notify(_ method: String, _ params: Value) async -> Bool {
        await send(method, params)
    }
}
