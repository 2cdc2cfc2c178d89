import Foundation
import HTTPTypes
import Hummingbird
import MCP

/// `/mcp`: Streamable HTTP, handed to the session's transport. Hummingbird and the SDK
/// both name types `HTTPRequest` and `HTTPResponse`, hence the `MCP.` prefixes.
enum MCPRoute {
    /// Largest request body accepted (413 above): far above the largest valid request
    /// (a command is at most 128 KiB, stdin a few MiB), far below what could hurt.
    static let maxBody = 4 << 20

    static func register<Context: Hummingbird.RequestContext>(on router: Router<Context>, sessions: MCPSessions) {
        let handler: @Sendable (Request, Context) async throws -> Response = { request, _ in
            var request = request
            var body: Data?
            if request.method == .post {
                do {
                    body = Data(buffer: try await request.collectBody(upTo: maxBody))
                } catch let error as HTTPError where error.status == .contentTooLarge {
                    return AccessGuard<Context>.refusal(.contentTooLarge, "request body larger than \(maxBody) bytes")
                }
            }
            var headers: [String: String] = [:]
            for field in request.headers {
                let name = field.name.canonicalName
                headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
            }
            let mcpRequest = MCP.HTTPRequest(method: request.method.rawValue, headers: headers, body: body, path: request.uri.path)
            return response(await sessions.handle(mcpRequest), request: request)
        }
        router.post("mcp", use: handler)
        router.get("mcp", use: handler)
        router.delete("mcp", use: handler)
    }

    static func response(_ mcp: MCP.HTTPResponse, request: Request) -> Response {
        var fields = HTTPFields()
        for (name, value) in mcp.headers {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        let status = HTTPResponse.Status(code: mcp.statusCode)
        switch mcp {
        case .stream(let stream, _):
            guard request.method == .get else {
                // A POST's stream ends with its answer, so it needs no hang-up watch; without
                // one the connection stays open for the client's next request (keep-alive).
                return Response(status: status, headers: fields, body: ResponseBody { writer in
                    for try await chunk in stream {
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                    try await writer.finish(nil)
                })
            }
            return Response(status: status, headers: fields, body: ResponseBody { writer in
                // A GET stream never ends by itself: end it when the client hangs up, so no
                // handler waits forever.
                try await request.body.consumeWithCancellationOnInboundClose { _ in
                    for try await chunk in stream {
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                }
                try await writer.finish(nil)
            })
        default:
            let body = mcp.bodyData.map { ResponseBody(byteBuffer: ByteBuffer(bytes: $0)) } ?? ResponseBody()
            return Response(status: status, headers: fields, body: body)
        }
    }
}
