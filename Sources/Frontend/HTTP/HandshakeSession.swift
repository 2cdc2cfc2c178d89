import Logging
import MCPWire
import Spool

/// One 2025-11-25 session over Streamable HTTP: POST carries client messages and answers
/// each request on its own SSE stream, GET opens the stream for what the server says
/// unasked, DELETE ends the session.
///
/// Replay is bounded per session by count and age, and a request's progress goes on that
/// request's own stream, where the specification says it belongs (swift-sdk's transport
/// kept every message for the life of a session and sent progress on the GET stream).
actor HandshakeSession {
    nonisolated let id: String
    nonisolated let connection: MCPConnection
    private let dispatcher: MCPDispatcher
    private let logger: Logger
    private var terminated = false
    private(set) var lastActivity = ContinuousClock.now

    private typealias Continuation = AsyncStream<[UInt8]>.Continuation
    private enum StreamKey: Hashable {
        case request(RequestID)
        /// The GET stream.
        case standalone
    }
    /// Open SSE streams by key.
    private var streams: [StreamKey: (generation: Int, continuation: Continuation)] = [:]
    private var generation = 0
    /// Requests still being answered, and their tasks (a cancellation names them).
    private var pending: [RequestID: Task<Void, Never>] = [:]
    /// Requests the client cancelled with `notifications/cancelled`.
    private let stopped = CancelledRequests()
    private var replay: ReplayBuffer<StreamKey>

    init(id: String, dispatcher: MCPDispatcher, origin: AuditClient, replayLimit: Int = 256, replayAge: Duration = .seconds(300), logger: Logger) {
        self.id = id
        self.dispatcher = dispatcher
        self.logger = logger
        replay = ReplayBuffer(limit: replayLimit, maxAge: replayAge)
        var client = origin
        client.mcpSession = id
        let box = WeakSession()
        connection = MCPConnection(identity: ClientIdentity(client), notices: NoticeSink { method, params in
            await box.session?.deliver(JSONRPCMessage.notification(method, params), to: .standalone)
            return true
        })
        box.session = self
    }

    var isTerminated: Bool { terminated }
    var hasOpenStreams: Bool { !streams.isEmpty }

    // MARK: - Server → client

    private func deliver(_ message: Value, to key: StreamKey) {
        let bytes = JSONWriter.bytes(message)
        let eventID = replay.append(stream: key, data: bytes)
        guard let open = streams[key] else { return }
        if case .dropped = open.continuation.yield(SSEFrame.event(bytes, id: eventID)) {
            // The client stopped reading: end its stream rather than queue without bound.
            // What it missed stays in the replay buffer for a resume with Last-Event-ID.
            logger.warning("MCP session \(id): a client stream fell \(NoticeBacklog.limit) messages behind; closing it (it may resume with Last-Event-ID)")
            streams[key] = nil
            open.continuation.finish()
        }
    }

    private func answer(_ requestID: RequestID, _ outcome: Result<Value, MCPError>) {
        pending.removeValue(forKey: requestID)
        stopped.remove(requestID)
        let key = StreamKey.request(requestID)
        switch outcome {
        case .success(let result): deliver(JSONRPCMessage.response(id: requestID, result: result), to: key)
        case .failure(let error): deliver(JSONRPCMessage.response(id: requestID, error: error), to: key)
        }
        streams.removeValue(forKey: key)?.continuation.finish()
    }

    /// A cancelled request gets no answer; its stream just ends.
    private func drop(_ requestID: RequestID) {
        pending.removeValue(forKey: requestID)
        stopped.remove(requestID)
        streams.removeValue(forKey: .request(requestID))?.continuation.finish()
    }

    // MARK: - Client → server

    /// A request for this session (its `Mcp-Session-Id` matched).
    func handle(_ exchange: HTTPExchange) async -> HTTPAnswer {
        lastActivity = .now
        if terminated {
            return .error(404, .invalidRequest("Not Found: session \(id) has ended; send a new initialize request"))
        }
        switch exchange.method {
        case "POST": return await post(exchange)
        case "GET": return get(exchange)
        case "DELETE":
            terminate()
            return .empty(status: 200, headers: ["Mcp-Session-Id": id])
        default:
            return .error(405, .invalidRequest("Method Not Allowed: use POST, GET or DELETE"), headers: ["Mcp-Session-Id": id, "Allow": "GET, POST, DELETE"])
        }
    }

    private var sessionHeader: [String: String] { ["Mcp-Session-Id": id] }

    private func post(_ exchange: HTTPExchange) async -> HTTPAnswer {
        guard let body = exchange.body, !body.isEmpty else {
            return .error(400, .parseError("Empty request body: POST one JSON-RPC message"), headers: sessionHeader)
        }
        guard let message = try? JSONParser.parse(body) else { // not JSON: answered with a parse error
            return .error(400, .parseError("the body is not valid JSON (one JSON-RPC message, UTF-8)"), headers: sessionHeader)
        }
        switch JSONRPCVetting.vet(message) {
        case .ignore: return .empty(status: 202, headers: sessionHeader)
        case .reply(let code, let text, let replyID):
            // Bad params are a JSON-RPC answer to a well-formed request; the rest is a bad HTTP request.
            return .json(status: code == JSONRPCVetting.invalidParams ? 200 : 400, headers: sessionHeader,
                         JSONRPCVetting.errorResponse(code: code, message: text, id: replyID))
        case .forward: break
        }
        guard let parsed = JSONRPCMessage(message) else {
            return .error(400, .invalidRequest("not a JSON-RPC message; send one JSON object with jsonrpc, method and id"), headers: sessionHeader)
        }
        let initializing = parsed.method == "initialize"
        if initializing && connection.version != nil {
            return .error(400, .invalidRequest("Bad Request: session already initialized"), headers: sessionHeader)
        }
        if let refused = Self.check(exchange, initializing: initializing, sessionHeader: sessionHeader) { return refused }
        switch parsed {
        case .request(let requestID, let method, let params):
            if case .reply(let code, let text, let replyID) = JSONRPCVetting.gate(message, initialized: connection.version != nil) {
                return .json(status: 400, headers: sessionHeader, JSONRPCVetting.errorResponse(code: code, message: text, id: replyID))
            }
            let key = StreamKey.request(requestID)
            let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingOldest(NoticeBacklog.limit))
            open(key, continuation)
            let version = exchange.header("mcp-protocol-version") ?? params["protocolVersion"]?.stringValue ?? connection.version ?? ""
            if version >= "2025-11-25" {
                // A priming event with an id, so a client cut off before the answer can
                // resume this stream with Last-Event-ID (SEP-1699).
                continuation.yield(SSEFrame.priming(id: replay.append(stream: key, data: nil)))
            }
            let request = connection.request(id: requestID, method: method, params: params)
            if initializing {
                // Settled before the answer goes out: the session exists from the next request on.
                answer(requestID, await dispatcher.handle(request, context: context(for: requestID)))
            } else {
                let context = context(for: requestID)
                let dispatcher = self.dispatcher
                pending[requestID] = Task {
                    let outcome = await dispatcher.handle(request, context: context)
                    if Task.isCancelled { await self.drop(requestID) } else { await self.answer(requestID, outcome) }
                }
            }
            return .stream(stream, headers: sseHeaders)
        case .notification(let method, let params):
            if method == "notifications/cancelled", let target = params["requestId"].flatMap(RequestID.init), let task = pending[target] {
                stopped.insert(target)
                task.cancel()
            }
            return .empty(status: 202, headers: sessionHeader)
        case .response:
            return .empty(status: 202, headers: sessionHeader) // spool-mcp sends no requests
        }
    }

    private func context(for requestID: RequestID) -> MCPDispatcher.Context {
        MCPDispatcher.Context(
            sink: NoticeSink { [weak self] method, params in
                await self?.deliver(JSONRPCMessage.notification(method, params), to: .request(requestID))
                return true // a closed stream keeps its messages for a resume
            },
            connection: connection,
            abandon: stopped.abandon(requestID))
    }

    /// The checks of Streamable HTTP: Accept, Content-Type, and a supported protocol version.
    static func check(_ exchange: HTTPExchange, initializing: Bool, sessionHeader: [String: String]) -> HTTPAnswer? {
        let accept = (exchange.header("accept") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard accept.contains(where: { $0.hasPrefix("application/json") }), accept.contains(where: { $0.hasPrefix("text/event-stream") }) else {
            return .error(406, .invalidRequest("Not Acceptable: Client must accept both application/json and text/event-stream"), headers: sessionHeader)
        }
        let contentType = (exchange.header("content-type") ?? "").split(separator: ";").first?.trimmingCharacters(in: .whitespaces) ?? ""
        guard contentType == "application/json" else {
            return .error(415, .invalidRequest("Unsupported Media Type: Content-Type must be application/json"), headers: sessionHeader)
        }
        if !initializing, let version = exchange.header("mcp-protocol-version"), !Revision.handshakeVersions.contains(version) {
            return .error(400, .invalidRequest("Bad Request: Unsupported protocol version: \(version). Supported: \(Revision.handshakeVersions.sorted().joined(separator: ", "))"), headers: sessionHeader)
        }
        return nil
    }

    private func get(_ exchange: HTTPExchange) -> HTTPAnswer {
        let accept = exchange.header("accept") ?? ""
        guard accept.contains("text/event-stream") else {
            return .error(406, .invalidRequest("Not Acceptable: Client must accept text/event-stream"), headers: sessionHeader)
        }
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingOldest(NoticeBacklog.limit))
        var key = StreamKey.standalone
        if let last = exchange.header("last-event-id"), let resumed = replay.after(last) {
            key = resumed.stream
            for (eventID, data) in resumed.events { continuation.yield(SSEFrame.event(data, id: eventID)) }
            if case .request(let requestID) = key, pending[requestID] == nil {
                continuation.finish() // its answer was among the replayed events
                return .stream(stream, headers: sseHeaders)
            }
        } else if streams[.standalone] != nil {
            return .error(409, .invalidRequest("Conflict: this session already has a GET stream open; close it first"), headers: sessionHeader)
        }
        open(key, continuation)
        return .stream(stream, headers: sseHeaders)
    }

    private var sseHeaders: [String: String] {
        ["Mcp-Session-Id": id, "Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-transform"]
    }

    /// Registers a stream; when the client goes away, messages for it are kept for replay.
    private func open(_ key: StreamKey, _ continuation: Continuation) {
        generation += 1
        let mine = generation
        streams[key]?.continuation.finish()
        streams[key] = (mine, continuation)
        continuation.onTermination = { [weak self] _ in
            Task { await self?.closed(key, generation: mine) }
        }
    }

    private func closed(_ key: StreamKey, generation: Int) {
        if streams[key]?.generation == generation { streams[key] = nil }
    }

    /// Ends the session: every stream closes, its requests stop, and later requests get 404.
    func terminate() {
        guard !terminated else { return }
        terminated = true
        for (_, open) in streams { open.continuation.finish() }
        streams.removeAll()
        for (_, task) in pending { task.cancel() }
        pending.removeAll()
        replay = ReplayBuffer(limit: 0, maxAge: .zero)
    }
}

/// Lets the connection's notices reach the session that owns the connection without a
/// reference cycle (the session holds the connection).
private final class WeakSession: @unchecked Sendable {
    // Written once in the session's initializer, before any notice can be sent.
    weak var session: HandshakeSession?
}

/// Messages kept so a client can resume a stream with `Last-Event-ID`: at most `limit`,
/// none older than `maxAge`. Ids are decimal and increase per session.
struct ReplayBuffer<Stream: Hashable> {
    private struct Entry {
        var id: UInt64
        var stream: Stream
        var data: [UInt8]?
        var time: ContinuousClock.Instant
    }

    let limit: Int
    let maxAge: Duration
    private var entries: [Entry] = []
    private var next: UInt64 = 1

    init(limit: Int, maxAge: Duration) {
        self.limit = limit
        self.maxAge = maxAge
    }

    mutating func append(stream: Stream, data: [UInt8]?) -> String {
        let now = ContinuousClock.now
        let id = next
        next += 1
        entries.append(Entry(id: id, stream: stream, data: data, time: now))
        let expired = entries.prefix { now - $0.time > maxAge }.count
        let excess = max(0, entries.count - limit)
        entries.removeFirst(min(entries.count, max(expired, excess)))
        return String(id)
    }

    /// The stream of event `lastID` and its later messages; nil if that event is unknown
    /// or no longer kept.
    func after(_ lastID: String) -> (stream: Stream, events: [(String, [UInt8])])? {
        guard let id = UInt64(lastID), let index = entries.firstIndex(where: { $0.id == id }) else { return nil }
        let stream = entries[index].stream
        let later = entries[(index + 1)...].filter { $0.stream == stream }.compactMap { entry in entry.data.map { (String(entry.id), $0) } }
        return (stream, later)
    }
}
