import Foundation
import Logging
import MCP

/// The server side of one MCP session over Streamable HTTP: POST carries client messages
/// and answers each request on its own SSE stream, GET opens the stream for server
/// messages, DELETE ends the session.
///
/// Written here instead of using the SDK's `StatefulHTTPServerTransport` because that one
/// keeps every message it ever sent for replay (memory grows for the life of a session)
/// and sends progress only on the GET stream. This one keeps replay bounded per session by
/// count and age, and sends a request's progress on that request's own stream, where the
/// spec says it belongs. Request checks reuse the SDK's validators.
actor SpoolHTTPTransport: MCP.Transport {
    nonisolated let logger: Logger
    nonisolated let sessionID: String
    private let validation: any HTTPRequestValidationPipeline
    private var initialized = false
    private var terminated = false
    private(set) var lastActivity = ContinuousClock.now

    private let incoming: AsyncThrowingStream<Data, Swift.Error>
    private let incomingContinuation: AsyncThrowingStream<Data, Swift.Error>.Continuation

    private typealias Stream = AsyncThrowingStream<Data, Swift.Error>
    /// Open SSE streams by key: a request's id, or `Self.standalone` for the GET stream.
    private var streams: [String: (generation: Int, continuation: Stream.Continuation)] = [:]
    private var generation = 0
    /// Requests still being answered, by key (a response ends them).
    private var pending: Set<String> = []
    /// Progress token → the key of the request that sent it.
    private var progressTokens: [String: String] = [:]
    private var replay: ReplayBuffer
    private static let standalone = "get"

    init(sessionID: String, replayLimit: Int = 256, replayAge: Duration = .seconds(300), logger: Logger) {
        self.sessionID = sessionID
        self.logger = logger
        replay = ReplayBuffer(limit: replayLimit, maxAge: replayAge)
        validation = StandardValidationPipeline(validators: [
            AcceptHeaderValidator(mode: .sseRequired),
            ContentTypeValidator(),
            ProtocolVersionValidator(),
            SessionValidator(),
        ])
        (incoming, incomingContinuation) = Stream.makeStream()
    }

    func connect() async throws {}

    func disconnect() async { terminate() }

    func receive() -> AsyncThrowingStream<Data, Swift.Error> { incoming }

    var isTerminated: Bool { terminated }
    var hasOpenStreams: Bool { !streams.isEmpty }

    // MARK: - Server → client

    func send(_ data: Data) async throws {
        guard !terminated else { throw MCPError.connectionClosed }
        switch JSONRPCShape(data) {
        case .response(let key):
            deliver(data, to: key)
            pending.remove(key)
            progressTokens = progressTokens.filter { $0.value != key }
            if let open = streams.removeValue(forKey: key) { open.continuation.finish() }
        case .notification(let method, let progressToken):
            if method == "notifications/progress", let token = progressToken, let key = progressTokens[token], pending.contains(key) {
                deliver(data, to: key)
            } else {
                deliver(data, to: Self.standalone)
            }
        case .request, .none:
            deliver(data, to: Self.standalone)
        }
    }

    private func deliver(_ data: Data, to key: String) {
        let id = replay.append(stream: key, data: data)
        guard let open = streams[key] else { return }
        if case .dropped = open.continuation.yield(SSEFrame.message(data, id: id)) {
            // The client stopped reading: end its stream rather than queue without bound.
            // What it missed stays in the replay buffer for a resume with Last-Event-ID.
            logger.warning("MCP session \(sessionID): a client stream fell \(Self.streamLimit) messages behind; closing it (it may resume with Last-Event-ID)")
            streams[key] = nil
            open.continuation.finish()
        }
    }

    /// Messages one SSE stream may hold unsent before its client counts as gone.
    static let streamLimit = 1024

    // MARK: - Client → server

    func handle(_ request: MCP.HTTPRequest) -> MCP.HTTPResponse {
        lastActivity = .now
        if terminated {
            return .error(statusCode: 404, .invalidRequest("Not Found: session \(sessionID) has ended; send a new initialize request"))
        }
        switch request.method.uppercased() {
        case "POST": return post(request)
        case "GET": return get(request)
        case "DELETE":
            if let refused = validation.validate(request, context: context("DELETE", initializing: false)) { return refused }
            terminate()
            return .ok(headers: [HTTPHeaderName.sessionID: sessionID])
        default:
            return .error(statusCode: 405, .invalidRequest("Method Not Allowed: use POST, GET or DELETE"),
                          sessionID: sessionID, extraHeaders: [HTTPHeaderName.allow: "GET, POST, DELETE"])
        }
    }

    private func context(_ method: String, initializing: Bool) -> HTTPValidationContext {
        HTTPValidationContext(httpMethod: method, sessionID: initialized ? sessionID : nil,
                              isInitializationRequest: initializing, supportedProtocolVersions: MCP.Version.supported)
    }

    private func post(_ request: MCP.HTTPRequest) -> MCP.HTTPResponse {
        guard let body = request.body, !body.isEmpty else {
            return .error(statusCode: 400, .parseError("Empty request body: POST one JSON-RPC message"), sessionID: sessionID)
        }
        guard let message = try? PlainJSON.decode(body) else { // not JSON: answered with a parse error below
            return .error(statusCode: 400, .parseError("Parse error: the body is not valid JSON (one JSON-RPC message, UTF-8)"), sessionID: sessionID)
        }
        let verdict = JSONRPCVetting.vet(message)
        if verdict == .ignore { return .accepted(headers: [HTTPHeaderName.sessionID: sessionID]) }
        if case .reply(let code, let text, let id) = verdict {
            guard code == JSONRPCVetting.invalidParams,
                  let data = try? JSONEncoder().encode(JSONRPCVetting.errorResponse(code: code, message: text, id: id)) // a Value always encodes
            else {
                return .error(statusCode: 400, .invalidRequest(text), sessionID: sessionID)
            }
            return .data(data, headers: [HTTPHeaderName.sessionID: sessionID, HTTPHeaderName.contentType: "application/json"])
        }
        let shape = JSONRPCShape(body)
        guard let shape else {
            return .error(statusCode: 400, .invalidRequest("Invalid Request: not a JSON-RPC message; send one JSON object with jsonrpc, method and id"), sessionID: sessionID)
        }
        let initializing = shape.isInitialize
        if initializing && initialized {
            return .error(statusCode: 400, .invalidRequest("Bad Request: session already initialized"), sessionID: sessionID)
        }
        if let refused = validation.validate(request, context: context("POST", initializing: initializing)) { return refused }
        switch shape {
        case .request(let key, _, let progressToken):
            if initializing { initialized = true }
            let (stream, continuation) = Stream.makeStream(bufferingPolicy: .bufferingOldest(Self.streamLimit))
            open(key, continuation)
            pending.insert(key)
            if let progressToken { progressTokens[progressToken] = key }
            if let version = Self.protocolVersion(body, request), version >= "2025-11-25" {
                // A priming event with an id, so a client cut off before the answer can
                // resume this stream with Last-Event-ID (SEP-1699).
                continuation.yield(SSEFrame.priming(id: replay.append(stream: key, data: nil)))
            }
            incomingContinuation.yield(body)
            return .stream(stream, headers: sseHeaders)
        case .notification, .response:
            incomingContinuation.yield(body)
            return .accepted(headers: [HTTPHeaderName.sessionID: sessionID])
        }
    }

    private func get(_ request: MCP.HTTPRequest) -> MCP.HTTPResponse {
        if let refused = validation.validate(request, context: context("GET", initializing: false)) { return refused }
        let (stream, continuation) = Stream.makeStream(bufferingPolicy: .bufferingOldest(Self.streamLimit))
        var key = Self.standalone
        if let last = request.header(HTTPHeaderName.lastEventID), let resumed = replay.after(last) {
            key = resumed.stream
            for (id, data) in resumed.events { continuation.yield(SSEFrame.message(data, id: id)) }
            if key != Self.standalone && !pending.contains(key) {
                continuation.finish() // its answer was among the replayed events
                return .stream(stream, headers: sseHeaders)
            }
        } else if streams[Self.standalone] != nil {
            return .error(statusCode: 409, .invalidRequest("Conflict: this session already has a GET stream open; close it first"), sessionID: sessionID)
        }
        open(key, continuation)
        return .stream(stream, headers: sseHeaders)
    }

    private var sseHeaders: [String: String] {
        [HTTPHeaderName.sessionID: sessionID, HTTPHeaderName.contentType: "text/event-stream",
         HTTPHeaderName.cacheControl: "no-cache, no-transform"]
    }

    /// Registers a stream; when the client goes away, messages for it are kept for replay.
    private func open(_ key: String, _ continuation: Stream.Continuation) {
        generation += 1
        let mine = generation
        streams[key]?.continuation.finish()
        streams[key] = (mine, continuation)
        continuation.onTermination = { [weak self] _ in
            Task { await self?.closed(key, generation: mine) }
        }
    }

    private func closed(_ key: String, generation: Int) {
        if streams[key]?.generation == generation { streams[key] = nil }
    }

    private static func protocolVersion(_ body: Data, _ request: MCP.HTTPRequest) -> String? {
        if let header = request.header(HTTPHeaderName.protocolVersion) { return header }
        let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any] // no version in the body: none to check
        return (json?["params"] as? [String: Any])?["protocolVersion"] as? String
    }

    /// Ends the session: every stream closes and later requests get 404.
    func terminate() {
        guard !terminated else { return }
        terminated = true
        for (_, open) in streams { open.continuation.finish() }
        streams.removeAll()
        pending.removeAll()
        replay = ReplayBuffer(limit: 0, maxAge: .zero)
        incomingContinuation.finish()
    }
}

/// Messages kept so a client can resume a stream with `Last-Event-ID`: at most `limit`,
/// none older than `maxAge`. Ids are decimal and increase per session.
struct ReplayBuffer {
    private struct Entry {
        var id: UInt64
        var stream: String
        var data: Data?
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

    mutating func append(stream: String, data: Data?) -> String {
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
    func after(_ lastID: String) -> (stream: String, events: [(String, Data)])? {
        guard let id = UInt64(lastID), let index = entries.firstIndex(where: { $0.id == id }) else { return nil }
        let stream = entries[index].stream
        let later = entries[(index + 1)...].filter { $0.stream == stream }.compactMap { entry in entry.data.map { (String(entry.id), $0) } }
        return (stream, later)
    }
}

/// SSE framing of JSON-RPC messages.
enum SSEFrame {
    static func message(_ data: Data, id: String) -> Data {
        Data("id: \(id)\nevent: message\ndata: ".utf8) + data + Data("\n\n".utf8)
    }

    static func priming(id: String) -> Data {
        Data("id: \(id)\ndata: \n\n".utf8)
    }
}

/// What a JSON-RPC message is, enough to route it. Ids and progress tokens are keyed with
/// their JSON type (`s:` or `n:`), so the request "1" and the request 1 stay apart.
enum JSONRPCShape {
    case request(key: String, method: String, progressToken: String?)
    case notification(method: String, progressToken: String?)
    case response(key: String)

    init?(_ data: Data) {
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil } // not JSON: the caller answers with a parse error
        let params = json["params"] as? [String: Any]
        let token = Self.key((params?["_meta"] as? [String: Any])?["progressToken"] ?? params?["progressToken"])
        if let method = json["method"] as? String {
            if let id = Self.key(json["id"]) {
                self = .request(key: id, method: method, progressToken: token)
            } else {
                self = .notification(method: method, progressToken: token)
            }
        } else if json["result"] != nil || json["error"] != nil, let id = Self.key(json["id"]) {
            self = .response(key: id)
        } else {
            return nil
        }
    }

    var isInitialize: Bool {
        if case .request(_, "initialize", _) = self { return true }
        return false
    }

    private static func key(_ value: Any?) -> String? {
        switch value {
        case let text as String: return "s:" + text
        case let number as NSNumber: return "n:" + number.stringValue
        default: return nil
        }
    }
}
