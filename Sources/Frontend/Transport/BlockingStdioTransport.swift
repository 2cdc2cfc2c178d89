import Foundation
import Logging
import MCP

/// MCP over stdin/stdout, newline-delimited JSON-RPC.
///
/// Written by hand because the SDK's `StdioTransport` sleeps 10 ms whenever stdin has no
/// data, which puts a 10 ms floor under every call and burns CPU while idle. Here a
/// dedicated thread blocks in read(2), so a message is handed on the moment it arrives.
///
/// Lines that are not JSON, and JSON that is not a well-formed JSON-RPC message, are
/// answered here (`-32700` with id null, `-32600`, `-32602`; see `JSONRPCVetting`) and
/// never reach the server, which would otherwise answer with a made-up id or none; the
/// server goes on either way.
actor BlockingStdioTransport: Transport {
    nonisolated let logger: Logger
    nonisolated let writer: LineWriter
    /// Takes the messages of a connection that speaks 2026-07-28 (`StdioEra`).
    private var modern: ModernStdio?
    private let input: Int32
    private let stream: AsyncThrowingStream<Data, any Swift.Error>
    private let continuation: AsyncThrowingStream<Data, any Swift.Error>.Continuation
    private var started = false

    /// Lines longer than this are refused with a parse error instead of being buffered.
    static let maxLineBytes = 32 << 20

    init(input: Int32 = 0, output: Int32 = 1, logger: Logger) {
        self.input = input
        self.writer = LineWriter(fd: output)
        self.logger = logger
        (stream, continuation) = AsyncThrowingStream.makeStream()
    }

    /// Before `connect`: where 2026-07-28 messages go.
    func serveModern(with modern: ModernStdio) {
        self.modern = modern
    }

    func connect() async throws {
        guard !started else { return }
        started = true
        let reader = LineReader(fd: input, writer: writer, continuation: continuation, modern: modern, logger: logger)
        let thread = Thread {
            var reader = reader
            reader.run()
        }
        thread.name = "mcp-stdin"
        thread.start()
    }

    func disconnect() async {
        continuation.finish()
    }

    func send(_ data: Data) async throws {
        guard writer.writeLine(data) else { throw MCPError.connectionClosed }
    }

    func receive() -> AsyncThrowingStream<Data, any Swift.Error> {
        stream
    }
}

/// The stdin side: splits bytes into lines and vets each line.
private struct LineReader: Sendable {
    let fd: Int32
    let writer: LineWriter
    let continuation: AsyncThrowingStream<Data, any Swift.Error>.Continuation
    let modern: ModernStdio?
    let logger: Logger

    /// An initialize request has been handed to the server.
    var initialized = false
    var era = StdioEra()

    mutating func run() {
        var pending: [UInt8] = []
        var discarding = false
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var start = 0
            for i in 0..<n where chunk[i] == UInt8(ascii: "\n") {
                if !discarding {
                    pending.append(contentsOf: chunk[start..<i])
                    handle(pending)
                }
                pending.removeAll(keepingCapacity: true)
                discarding = false
                start = i + 1
            }
            if !discarding {
                pending.append(contentsOf: chunk[start..<n])
                if pending.count > BlockingStdioTransport.maxLineBytes {
                    reply(code: -32700, message: "Parse error: message longer than \(BlockingStdioTransport.maxLineBytes) bytes", id: .null)
                    pending.removeAll()
                    discarding = true
                }
            }
        }
        if !pending.isEmpty && !discarding { handle(pending) }
        continuation.finish()
        modern?.finish()
    }

    private mutating func handle(_ line: [UInt8]) {
        var bytes = line[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
        let data = Data(bytes)
        guard let json = try? PlainJSON.decode(data) else { // not JSON: answered with -32700 below
            reply(code: -32700, message: "Parse error: the line is not valid JSON (one JSON-RPC message per line, UTF-8)", id: .null)
            return
        }
        switch JSONRPCVetting.vet(json) {
        case .reply(let code, let message, let id):
            reply(code: code, message: message, id: id)
            return
        case .ignore:
            return
        case .forward:
            break
        }
        if let modern {
            switch era.route(json) {
            case .legacy: break
            case .modern:
                modern.submit(json)
                return
            case .reply(let code, let message, let data):
                reply(code: code, message: message, id: json.objectValue?["id"] ?? .null, data: data)
                return
            case .drop:
                return
            }
        }
        if case .reply(let code, let message, let id) = JSONRPCVetting.gate(json, initialized: initialized) {
            reply(code: code, message: message, id: id)
            return
        }
        if JSONRPCVetting.isInitialize(json) { initialized = true }
        continuation.yield(data)
    }

    private func reply(code: Int, message: String, id: Value, data: Value? = nil) {
        var response = JSONRPCVetting.errorResponse(code: code, message: message, id: id)
        if let data, case .object(var object) = response, case .object(var error)? = object["error"] {
            error["data"] = data
            object["error"] = .object(error)
            response = .object(object)
        }
        // Encoding a Value of strings and numbers cannot fail.
        if let data = try? JSONEncoder().encode(response) { writer.writeLine(data) }
    }
}
