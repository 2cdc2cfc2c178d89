import Foundation
import MCP
import Synchronization

/// 2026-07-28 over stdio: each request runs on its own, its notifications and answer go
/// out as lines through the transport's writer, and `notifications/cancelled` stops it
/// (for a `run`, the command too: the user pressed stop).
final class ModernStdio: Sendable {
    private let writer: LineWriter
    private let server: ModernServer
    private let stream: AsyncStream<Value>
    private let continuation: AsyncStream<Value>.Continuation
    /// The requests being answered, by id, so a cancellation can reach them. They are
    /// unstructured tasks because a cancellation names one of them from outside.
    private let running = Mutex<[String: Task<Void, Never>]>([:])
    /// Requests the client cancelled (as opposed to stdin ending).
    private let stopped = Mutex<Set<String>>([])

    init(writer: LineWriter, server: ModernServer) {
        self.writer = writer
        self.server = server
        (stream, continuation) = AsyncStream.makeStream()
    }

    /// From the stdin thread: a vetted message of the 2026-07-28 era.
    func submit(_ message: Value) { continuation.yield(message) }

    /// stdin has ended.
    func finish() { continuation.finish() }

    /// Serves until stdin ends, then cancels what is still running (detached: a closed
    /// pipe is not a stop button, so jobs keep running).
    func run() async {
        for await message in stream {
            guard case .object(let object) = message, let method = object["method"]?.stringValue else { continue }
            guard let id = object["id"] else {
                if method == "notifications/cancelled", case .object(let params)? = object["params"], let target = params["requestId"] {
                    let key = Self.key(target)
                    stopped.withLock { _ = $0.insert(key) }
                    running.withLock { $0[key] }?.cancel()
                }
                continue // no other client notification means anything here
            }
            let key = Self.key(id)
            let task = Task { [self] in
                await answer(message, id: id, key: key)
                _ = running.withLock { $0.removeValue(forKey: key) }
                _ = stopped.withLock { $0.remove(key) }
            }
            running.withLock { $0[key] = task }
        }
        let left = running.withLock { Array($0.values) }
        for task in left { task.cancel() }
        for task in left { await task.value }
    }

    private func answer(_ message: Value, id: Value, key: String) async {
        let writer = self.writer
        let response: Value
        switch ModernEnvelope.classify(message) {
        case .failure(let error):
            response = ["jsonrpc": "2.0", "id": id, "error": error.value]
        case .success(let request):
            let sink = ModernSink { method, params in
                Self.write(["jsonrpc": "2.0", "method": .string(method), "params": params], to: writer)
            }
            let outcome = await server.handle(request, sink: sink, abandon: SpoolTools.Abandon { [self] in stopped.withLock { $0.contains(key) } })
            if Task.isCancelled, request.method != "subscriptions/listen" { return } // a cancelled request gets no answer
            switch outcome {
            case .success(let result): response = ["jsonrpc": "2.0", "id": id, "result": result]
            case .failure(let error): response = ["jsonrpc": "2.0", "id": id, "error": error.value]
            }
        }
        Self.write(response, to: writer)
    }

    @discardableResult
    static func write(_ message: Value, to writer: LineWriter) -> Bool {
        guard let data = try? JSONEncoder().encode(message) else { return false } // strings and numbers always encode
        return writer.writeLine(data)
    }

    private static func key(_ id: Value) -> String {
        switch id {
        case .string(let text): "s:" + text
        case .int(let number): "i:\(number)"
        default: "?"
        }
    }
}
