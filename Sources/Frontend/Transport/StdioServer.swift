import Foundation
import MCPWire
import Spool
import Synchronization

/// MCP over stdin/stdout, both revisions: a connection that starts with `initialize`
/// speaks 2025-11-25, one that starts with `server/discover` or an enveloped request
/// speaks 2026-07-28 until it sends `initialize` (`StdioEra`). Requests are answered
/// concurrently, at most `maxInFlight` at a time (the reader waits beyond that), so
/// concurrent `start`s share group-commit rounds. `notifications/cancelled` stops a
/// request and, for a `run`, its job (the user pressed stop); the end of stdin stops
/// what is still running without touching the jobs (a closed pipe is not a stop button).
final class StdioServer: Sendable {
    private let writer: LineWriter
    private let reader: StdioReader
    private let dispatcher: MCPDispatcher
    /// The 2025-11-25 side of this connection (its client, log level and subscriptions).
    private let connection: MCPConnection
    private let messages: AsyncStream<Value>
    /// Requests being answered, by id, so a cancellation can reach them. They are
    /// unstructured tasks because a cancellation names one of them from outside.
    private let running = Mutex<[RequestID: Task<Void, Never>]>([:])
    /// Requests the client cancelled (as opposed to stdin ending).
    private let stopped = CancelledRequests()
    private let freed: AsyncStream<Void>
    private let free: AsyncStream<Void>.Continuation

    /// Requests answered at once on one connection; more wait for one to end.
    static let maxInFlight = 64

    init(input: Int32 = 0, output: Int32 = 1, dispatcher: MCPDispatcher, origin: AuditClient) {
        let writer = LineWriter(fd: output)
        self.writer = writer
        self.dispatcher = dispatcher
        let (messages, continuation) = AsyncStream<Value>.makeStream()
        self.messages = messages
        reader = StdioReader(fd: input, writer: writer, deliver: { continuation.yield($0) }, finish: { continuation.finish() })
        (freed, free) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        connection = MCPConnection(identity: ClientIdentity(origin), notices: NoticeSink { method, params in
            writer.write(JSONRPCMessage.notification(method, params))
        })
    }

    /// Serves until stdin ends (or the surrounding task is cancelled).
    func run() async {
        await dispatcher.open(connection)
        reader.start()
        var era = StdioEra()
        var slots = freed.makeAsyncIterator()
        for await message in messages {
            if Task.isCancelled { break }
            switch era.route(message) {
            case .drop: continue
            case .legacy, .modern: break
            }
            guard let parsed = JSONRPCMessage(message) else { continue } // vetted: cannot happen
            switch parsed {
            case .response: continue // spool-mcp sends no requests, so no answer is awaited
            case .notification(let method, let params):
                if method == "notifications/cancelled", let target = params["requestId"].flatMap(RequestID.init) {
                    stopped.insert(target)
                    running.withLock { $0[target] }?.cancel()
                }
            case .request(let id, let method, let params):
                while running.withLock({ $0.count }) >= Self.maxInFlight { _ = await slots.next() }
                if era.state == .modern {
                    serve(id: id, method: method, ModernEnvelope.classify(message))
                } else if case .reply(let code, let text, let replyID) = JSONRPCVetting.gate(message, initialized: connection.version != nil) {
                    writer.write(JSONRPCVetting.errorResponse(code: code, message: text, id: replyID))
                } else {
                    let request = connection.request(id: id, method: method, params: params)
                    // Answered before the next message is read: what follows sees it initialized.
                    if method == "initialize" { await answer(id: id, method: method, .success(request)) } else { serve(id: id, method: method, .success(request)) }
                }
            }
        }
        let left = running.withLock { Array($0.values) }
        for task in left { task.cancel() }
        for task in left { await task.value }
        await connection.close()
    }

    private func serve(id: RequestID, method: String, _ request: Result<MCPRequest, MCPError>) {
        let task = Task { [self] in
            await answer(id: id, method: method, request)
            _ = running.withLock { $0.removeValue(forKey: id) }
            stopped.remove(id)
            free.yield()
        }
        running.withLock { $0[id] = task }
    }

    private func answer(id: RequestID, method: String, _ request: Result<MCPRequest, MCPError>) async {
        let outcome: Result<Value, MCPError>
        switch request {
        case .failure(let error):
            outcome = .failure(error)
        case .success(let request):
            let writer = self.writer
            let context = MCPDispatcher.Context(
                sink: NoticeSink { method, params in writer.write(JSONRPCMessage.notification(method, params)) },
                connection: request.revision == .envelope ? nil : connection,
                abandon: stopped.abandon(id))
            outcome = await dispatcher.handle(request, context: context)
            if Task.isCancelled, method != "subscriptions/listen" { return } // a cancelled request gets no answer
        }
        switch outcome {
        case .success(let result): writer.write(JSONRPCMessage.response(id: id, result: result))
        case .failure(let error): writer.write(JSONRPCMessage.response(id: id, error: error))
        }
    }
}
