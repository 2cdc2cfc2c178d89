import MCPWire

/// Where notifications go: one request's stream (progress, a 2026-07-28 request's log
/// messages, a listen stream) or a 2025-11-25 connection's own channel (log messages,
/// resource updates). `send` returns false once nobody reads any more.
struct NoticeSink: Sendable {
    let send: @Sendable (_ method: String, _ params: Value) async -> Bool

    static let none = NoticeSink { _, _ in true }

    @discardableResult
    func notify(_ method: String, _ params: Value) async -> Bool {
        await send(method, params)
    }
}
