import Foundation
import HTTPTypes
import Hummingbird
import Spool

/// Who may talk to the HTTP endpoint, checked before any route:
/// - `Origin` (sent by browsers) must be a loopback origin or one allowed with
///   `--allow-origin`; anything else gets 403, as the MCP spec asks against DNS rebinding;
/// - when bound to loopback, `Host` must name loopback too (a rebinding page's requests
///   carry the attacker's host name) — 421 otherwise;
/// - with a token, every route but `/health` needs `Authorization: Bearer <token>` (401).
struct AccessGuard<Context: Hummingbird.RequestContext>: RouterMiddleware {
    let token: String?
    let allowedOrigins: Set<String>
    let loopbackOnly: Bool

    static func isLoopbackName(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) || host.hasPrefix("127.")
    }

    /// `http://localhost:1234` → `localhost`; nil if it is not an http(s) origin.
    static func hostOf(origin: String) -> String? {
        guard let components = URLComponents(string: origin), let scheme = components.scheme,
              scheme == "http" || scheme == "https", let host = components.host else { return nil }
        return host
    }

    /// `localhost:1234` or `[::1]:1234` → `localhost` or `[::1]`.
    static func hostOf(hostHeader: String) -> String {
        if hostHeader.hasPrefix("["), let end = hostHeader.firstIndex(of: "]") { return String(hostHeader[...end]) }
        return String(hostHeader.split(separator: ":", maxSplits: 1).first ?? "")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let origin = request.headers[.origin] {
            let local = Self.hostOf(origin: origin).map(Self.isLoopbackName) ?? false
            guard local || allowedOrigins.contains(origin) else {
                return Self.refusal(.forbidden, "Origin \(origin.prefix(200)) is not allowed; start spool-mcp with --allow-origin \(origin.prefix(200)) to allow it")
            }
        }
        if loopbackOnly, let host = request.head.authority, !Self.isLoopbackName(Self.hostOf(hostHeader: host)) {
            return Self.refusal(.misdirectedRequest, "Host \(host.prefix(200)) is not this loopback server; connect to 127.0.0.1 or localhost")
        }
        if let token, request.uri.path != "/health" {
            let given = request.headers[.authorization] ?? ""
            guard Self.constantTimeEqual(given, "Bearer " + token) else {
                var response = Self.refusal(.unauthorized, given.isEmpty
                    ? "this server needs a bearer token: send Authorization: Bearer <token> (the --token or SPOOL_TOKEN given to spool-mcp)"
                    : "the bearer token is wrong")
                response.headers[.wwwAuthenticate] = "Bearer realm=\"spool\""
                return response
            }
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference, so timing tells nothing.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<max(x.count, y.count) {
            difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
        }
        return difference == 0
    }

    static func refusal(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = (try? SpoolJSON.encode(["error": message])) ?? []
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
