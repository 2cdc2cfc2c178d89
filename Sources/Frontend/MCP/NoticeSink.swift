import MCPWire
import Synchronization

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

/// The one back-pressure policy for notices, whatever the revision and transport: a
/// reader may fall at most `limit` notices behind. Past that its stream ends and says so
/// (a 2026-07-28 answer or listen stream with an error; a 2025-11-25 SSE stream is
/// closed and may be resumed with `Last-Event-ID`): nothing is dropped silently.
enum NoticeBacklog {
    static let limit = 1024
}

/// Set once by whichever task saw a backlog overflow.
final class OverflowFlag: Sendable {
    private let flag = Synchronization.Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}
