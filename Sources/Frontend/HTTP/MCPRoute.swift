import Foundation
import HTTPTypes
import Hummingbird
import MCPWire
import NIOCore
import Spool

/// `/mcp`: Streamable HTTP for both revisions. A 2026-07-28 request goes to `ModernHTTP`,
/// anything else to its 2025-11-25 session (`MCPSessions`). The body is read once, here.
enum MCPRoute {
    /// Largest request body accepted (413 above): far above the largest valid request
    /// (a command is at most 128 KiB, stdin a few MiB), far below what could hurt.
    static let maxBody = 4 << 20

    /// - Parameter token: whether `--token` is set (a request that got here then carried it).
    static func register(on router: Router<SpoolRequestContext>, sessions: MCPSessions, modern: ModernHTTP, token: Bool,
                         bodyTimeout: Duration, stallTimeout: Duration) {
        let handler: @Sendable (Request, SpoolRequestContext) async throws -> Response = { request, context in
            let origin = AuditClient(transport: .http, peer: context.channel.remoteAddress.map(Self.address), token: token)
            var request = request
            var body: [UInt8]?
            if request.method == .post {
                // Refused before reading a byte of the body when its declared length is too big.
                if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBody {
                    return closing(context, AccessGuard<SpoolRequestContext>.refusal(.contentTooLarge, tooLarge))
                }
                switch await collect(&request, timeout: bodyTimeout) {
                case .body(let bytes): body = bytes
                case .tooLarge: return closing(context, AccessGuard<SpoolRequestContext>.refusal(.contentTooLarge, tooLarge))
                case .timedOut:
                    return closing(context, AccessGuard<SpoolRequestContext>.refusal(.requestTimeout, "the request body did not arrive within \(bodyTimeout); send it at once"))
                }
            }
            var headers: [String: String] = [:]
            for field in request.headers {
                let name = field.name.canonicalName
                headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
            }
            if ModernHTTP.claims(method: request.method, headers: headers, body: body) {
                return await modern.respond(method: request.method, headers: headers, body: body, origin: origin,
                                            stall: StallGuard(context, limit: stallTimeout))
            }
            let exchange = HTTPExchange(method: request.method.rawValue, headers: headers, body: body)
            return response(await sessions.handle(exchange, origin: origin), request: request, stall: StallGuard(context, limit: stallTimeout))
        }
        router.post("mcp", use: handler)
        router.get("mcp", use: handler)
        router.delete("mcp", use: handler)
    }

    /// "127.0.0.1:54321" or "[::1]:54321".
    static func address(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress else { return "\(address)" }
        let host = ip.contains(":") ? "[\(ip)]" : ip
        return address.port.map { "\(host):\($0)" } ?? host
    }

    static let tooLarge = "request body larger than \(maxBody) bytes: a JSON-RPC message may be at most 4 MiB (write large input to a file and have the command read it)"

    enum Collected {
        case body([UInt8])
        case tooLarge
        case timedOut
    }

    /// The whole body, within `timeout` (a client that trickles it is cut off).
    static func collect(_ request: inout Request, timeout: Duration) async -> Collected {
        let body = request.body
        return await withTaskGroup(of: Collected?.self) { group in
            group.addTask {
                do {
                    var buffer = ByteBuffer()
                    for try await part in body {
                        guard buffer.readableBytes + part.readableBytes <= maxBody else { return .tooLarge }
                        var part = part
                        buffer.writeBuffer(&part)
                    }
                    return .body(buffer.readBytes(length: buffer.readableBytes) ?? [])
                } catch {
                    return .timedOut // the connection failed while reading: nothing to answer
                }
            }
            group.addTask {
                await Pause.for(timeout)
                return Task.isCancelled ? nil : .timedOut
            }
            defer { group.cancelAll() }
            while let next = await group.next() {
                if let next { return next }
            }
            return .timedOut
        }
    }

    /// A refusal after which the connection is closed: the server will not read the rest
    /// of this request, so keeping the connection would leave the client blocked sending.
    private static func closing(_ context: SpoolRequestContext, _ refusal: Response) -> Response {
        var response = refusal
        response.headers[.connection] = "close"
        let channel = context.channel
        let bytes = response.body
        return Response(status: response.status, headers: response.headers, body: ResponseBody { writer in
            try await bytes.write(writer)
            channel.close(promise: nil)
        })
    }

    /// A JSON body: every `/mcp` answer that is not a stream, in both revisions.
    static func json(status: Int, _ bytes: [UInt8], headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func response(_ answer: HTTPAnswer, request: Request, stall: StallGuard) -> Response {
        func fields(_ headers: [String: String]) -> HTTPFields {
            var fields = HTTPFields()
            for (name, value) in headers {
                if let name = HTTPField.Name(name) { fields[name] = value }
            }
            return fields
        }
        switch answer {
        case .stream(let stream, let headers):
            guard request.method == .get else {
                // A POST's stream ends with its answer, so it needs no hang-up watch; without
                // one the connection stays open for the client's next request (keep-alive).
                return Response(status: .ok, headers: fields(headers), body: ResponseBody { writer in
                    for await chunk in stream {
                        try await stall.write(ByteBuffer(bytes: chunk), to: &writer)
                    }
                    try await writer.finish(nil)
                })
            }
            return Response(status: .ok, headers: fields(headers), body: ResponseBody { writer in
                // A GET stream never ends by itself: end it when the client hangs up, so no
                // handler waits forever.
                try await request.body.consumeWithCancellationOnInboundClose { _ in
                    for await chunk in stream {
                        if Task.isCancelled { break }
                        try await stall.write(ByteBuffer(bytes: chunk), to: &writer)
                    }
                }
                try await writer.finish(nil)
            })
        case .json(let status, let headers, let message):
            return json(status: status, JSONWriter.bytes(message), headers: fields(headers))
        case .empty(let status, let headers):
            return Response(status: .init(code: status), headers: fields(headers), body: ResponseBody())
        }
    }
}
