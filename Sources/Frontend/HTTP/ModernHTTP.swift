import Foundation
import HTTPTypes
import Hummingbird
import MCPWire
import NIOCore
import Spool
import Synchronization

/// 2026-07-28 on `/mcp`: one POST is one request, answered with JSON, or with an SSE
/// stream once it has something to say before its answer (progress, a listen stream) or
/// has been silent for a keep-alive period. No `Mcp-Session-Id` is minted. A stream the
/// client closes ends the request; a `run`'s job keeps running (its id was in the first
/// progress notification).
struct ModernHTTP: Sendable {
    let dispatcher: MCPDispatcher
    /// Silence after which an answer still being worked on commits to SSE, and between
    /// two keep-alive comments after that.
    let keepAlive: Duration

    /// Whether an `/mcp` request belongs to this era. A POST does when its
    /// `MCP-Protocol-Version` names no handshake revision (a stale `Mcp-Session-Id` beside
    /// it is ignored), or, with neither header, when its body is 2026-07-28. A GET or
    /// DELETE does unless it carries a 2025-11-25 session (it is then refused with 405).
    static func claims(method: HTTPRequest.Method, headers: [String: String], body: [UInt8]?) -> Bool {
        guard method == .post else { return headers["mcp-session-id"] == nil }
        let version = headers["mcp-protocol-version"]
        if let version, !Revision.handshakeVersions.contains(version) { return true }
        if version != nil || headers["mcp-session-id"] != nil { return false }
        guard let body, let json = try? JSONParser.parse(body) else { return false }
        return ModernEnvelope.isModern(json)
    }

    func respond(method: HTTPRequest.Method, headers: [String: String], body: [UInt8]?, origin: AuditClient, stall: StallGuard) async -> Response {
        guard method == .post else {
            var response = Self.json(status: 405, JSONRPCMessage.response(id: nil, error: .invalidRequest(
                "Method Not Allowed: \(ModernProtocol.version) is POST only (no GET stream: use subscriptions/listen; no sessions to DELETE)")))
            response.headers[.allow] = "POST"
            return response
        }
        let accept = headers["accept"] ?? ""
        guard accept.contains("application/json") || accept.contains("*/*") else {
            return Self.json(status: 406, JSONRPCMessage.response(id: nil, error: .invalidRequest("Not Acceptable: send Accept: application/json, text/event-stream")))
        }
        guard let body, let message = try? JSONParser.parse(body) else {
            return Self.json(status: 400, JSONRPCMessage.response(id: nil, error: .parseError("the body is not JSON (one JSON-RPC request object)")))
        }
        switch JSONRPCVetting.vet(message) {
        case .reply(let code, let text, let id):
            return Self.json(status: ModernProtocol.httpStatus(of: code), JSONRPCVetting.errorResponse(code: code, message: text, id: id))
        case .ignore:
            return Response(status: .accepted)
        case .forward:
            break
        }
        guard case .object(let object) = message, object["method"] != nil else {
            return Self.json(status: 400, JSONRPCMessage.response(id: nil, error: .invalidRequest("POST a request, not a response")))
        }
        guard let id = object["id"].flatMap(RequestID.init) else {
            // 2026-07-28 defines no client notifications over HTTP (closing the stream
            // cancels); they are acknowledged and dropped, at a version this server speaks.
            if let version = headers["mcp-protocol-version"], version != ModernProtocol.version {
                return Self.json(status: 400, JSONRPCMessage.response(id: nil, error: ModernProtocol.unsupported(.string(version))))
            }
            return Response(status: .accepted)
        }
        var request0: MCPRequest
        switch ModernEnvelope.classify(message, headers: headers) {
        case .failure(let error): return Self.json(status: ModernProtocol.httpStatus(of: error.code), JSONRPCMessage.response(id: id, error: error))
        case .success(let value): request0 = value
        }
        request0.origin = origin
        let isListen = request0.method == "subscriptions/listen"
        if isListen && !accept.contains("text/event-stream") {
            return Self.json(status: 406, JSONRPCMessage.response(id: id, error: .invalidRequest("Not Acceptable: subscriptions/listen answers with a stream; send Accept: text/event-stream")))
        }
        return await serve(request0, stall: stall, streamAtOnce: isListen)
    }

    private enum Frame: Sendable {
        case notification([UInt8])
        case answer(status: Int, [UInt8])
        /// A keep-alive period passed.
        case tick
    }

    private func serve(_ modern: MCPRequest, stall: StallGuard, streamAtOnce: Bool) async -> Response {
        let (frames, continuation) = AsyncStream<Frame>.makeStream(bufferingPolicy: .unbounded)
        let pending = Mutex(0)
        let overflowed = OverflowFlag()
        let sink = NoticeSink { method, params in
            guard !overflowed.isSet else { return false }
            // Bounded by counting: frames not yet written past `backlog` end the request.
            guard pending.withLock({ count in count += 1; return count <= NoticeBacklog.limit }) else {
                overflowed.set()
                return false
            }
            if case .terminated = continuation.yield(.notification(JSONWriter.bytes(JSONRPCMessage.notification(method, params)))) { return false }
            return true
        }
        let dispatcher = self.dispatcher
        let id = modern.id
        let keepAlive = self.keepAlive
        // Unstructured: the answer is produced while the response body (which Hummingbird
        // runs after this function returns) streams; the body cancels both on hang-up.
        let work = Task {
            // A closed stream is not a stop button: a run's job keeps running.
            let outcome = await dispatcher.handle(modern, context: MCPDispatcher.Context(sink: sink, abandon: .detach))
            var frame: Frame
            switch outcome {
            case .success(let result):
                frame = .answer(status: 200, JSONWriter.bytes(JSONRPCMessage.response(id: id, result: result)))
            case .failure(let error):
                frame = .answer(status: ModernProtocol.httpStatus(of: error.code), JSONWriter.bytes(JSONRPCMessage.response(id: id, error: error)))
            }
            if overflowed.isSet {
                let error = MCPError.internalError("the response stream fell more than \(NoticeBacklog.limit) notifications behind, so later ones were not sent; re-read what you follow (status, tasks/get)")
                frame = .answer(status: 200, JSONWriter.bytes(JSONRPCMessage.response(id: id, error: error)))
            }
            continuation.yield(frame)
            continuation.finish()
        }
        let ticker = Task {
            while !Task.isCancelled {
                await Pause.for(keepAlive)
                if case .terminated = continuation.yield(.tick) { return }
            }
        }
        var iterator = frames.makeAsyncIterator()
        var first: Frame?
        if !streamAtOnce {
            first = await iterator.next()
            if case .answer(let status, let data)? = first {
                ticker.cancel()
                return MCPRoute.json(status: status, data)
            }
        }
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache, no-transform"]
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        let firstFrame = first
        let box = IteratorBox(iterator)
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var iterator = box.take()
            // The client hanging up ends the request (a run's job keeps running). The body
            // was read already, so the connection's close is what tells.
            stall.channel.closeFuture.whenComplete { _ in
                work.cancel()
                ticker.cancel()
            }
            defer {
                work.cancel()
                ticker.cancel()
            }
            var frame = firstFrame
            if frame == nil || frame.map({ if case .tick = $0 { true } else { false } }) == true { frame = await iterator.next() }
            while let current = frame {
                switch current {
                case .tick:
                    try await stall.write(ByteBuffer(bytes: SSEFrame.keepAlive), to: &writer)
                case .notification(let data):
                    pending.withLock { $0 -= 1 }
                    try await stall.write(ByteBuffer(bytes: SSEFrame.event(data)), to: &writer)
                case .answer(_, let data):
                    try await stall.write(ByteBuffer(bytes: SSEFrame.event(data)), to: &writer)
                    frame = nil
                    continue
                }
                frame = await iterator.next()
            }
            try await writer.finish(nil)
        })
    }

    static func json(status: Int, _ message: Value) -> Response {
        MCPRoute.json(status: status, JSONWriter.bytes(message))
    }
}

/// Hands the frames' iterator from the route handler, which read the first frame, to
/// the response body, which reads the rest: one user at a time, by construction (an
/// AsyncStream allows one iterator, and its iterator is not Sendable).
private final class IteratorBox<Element: Sendable>: @unchecked Sendable {
    private var iterator: AsyncStream<Element>.Iterator?
    private let lock = NSLock()
    init(_ iterator: AsyncStream<Element>.Iterator) { self.iterator = iterator }
    func take() -> AsyncStream<Element>.Iterator { lock.withLock { let it = iterator!; iterator = nil; return it } }
}
