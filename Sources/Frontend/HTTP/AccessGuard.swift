import Foundation
import HTTPTypes
import Hummingbird
import Spool

/// Who may talk to the HTTP endpoint, checked before any route:
/// - `Origin` (sent by browsers) must be a loopback origin or one allowed with
///   `--allow-origin`; anything else gets 403, as the MCP spec asks against DNS rebinding;
/// - when bound to loopback, `Host` must name loopback too (a rebinding page's requests
///   carry the attacker's host name) — 403 otherwise (421 for a missing, repeated or
///   malformed Host);
/// - with a token, every route but `/health` and the dashboard's static files (which hold
///   no data) needs `Authorization: Bearer <token>` (401).
struct AccessGuard<Context: Hummingbird.RequestContext>: RouterMiddleware {
    let token: String?
    let allowedOrigins: Set<String>
    let loopbackOnly: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let refusal = Self.checkOrigin(request.headers[values: .origin], allowed: allowedOrigins) { return refusal }
        if let refusal = Self.checkHost(authority: request.head.authority, extraHosts: request.headers[values: Self.hostField],
                                        loopbackOnly: loopbackOnly) { return refusal }
        if let token, request.uri.path != "/health", !DashboardPage.paths.contains(request.uri.path) {
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

    static var hostField: HTTPField.Name { HTTPField.Name("Host")! }

    /// One `Origin` at most; a loopback origin or one given with `--allow-origin` (403 otherwise).
    static func checkOrigin(_ origins: [String], allowed: Set<String>) -> Response? {
        guard let origin = origins.first else { return nil }
        guard origins.count == 1 else {
            return refusal(.forbidden, "more than one Origin header; a browser sends exactly one")
        }
        if allowed.contains(origin) || WebOrigin(parsing: origin)?.isLoopback == true { return nil }
        return refusal(.forbidden, "Origin \(origin.prefix(200)) is not allowed; start spool-mcp with --allow-origin \(origin.prefix(200)) to allow it")
    }

    /// Exactly one `Host`, in authority form (421 otherwise); on a loopback bind it must
    /// name loopback: a rebinding page's requests carry the attacker's name, and get 403,
    /// as the MCP conformance suite's dns-rebinding-protection check asks.
    /// HTTP/1 puts the first `Host` into the authority and leaves any further ones as fields.
    static func checkHost(authority: String?, extraHosts: [String], loopbackOnly: Bool) -> Response? {
        guard let authority else {
            return refusal(.misdirectedRequest, "the request has no Host header; send Host: 127.0.0.1:<port>")
        }
        guard extraHosts.isEmpty else {
            return refusal(.misdirectedRequest, "the request has more than one Host header; send exactly one")
        }
        guard let parsed = HostAuthority(parsing: authority) else {
            return refusal(.misdirectedRequest, "Host \(authority.prefix(200)) is not a host name with an optional port")
        }
        if loopbackOnly && !parsed.isLoopback {
            return refusal(.forbidden, "Host \(authority.prefix(200)) is not this loopback server; connect to 127.0.0.1, [::1] or localhost")
        }
        return nil
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
        let body = (try? SpoolJSON.encode(["error": message])) ?? [] // a dictionary of strings always encodes
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
