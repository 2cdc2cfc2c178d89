import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /`, `/dashboard.js` and `/dashboard.css`: the dashboard's static files, built
/// into the binary. They carry no data (the page asks `/api/` for everything), so they are
/// served without the token; the page then asks for it. A strict Content-Security-Policy:
/// scripts, styles and connections from this origin only, nothing inline, no frames.
enum DashboardPage {
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    /// The paths served without the token.
    static let paths: Set<String> = ["/", "/dashboard.js", "/dashboard.css"]

    static func register(on router: Router<SpoolRequestContext>, token: Bool) {
        let page = DashboardHTML.page(preloadList: !token)
        router.get("/") { _, _ in file(page, type: "text/html; charset=utf-8") }
        router.get("dashboard.js") { _, _ in file(DashboardScript.source, type: "text/javascript; charset=utf-8") }
        router.get("dashboard.css") { _, _ in file(DashboardStyle.sheet, type: "text/css; charset=utf-8") }
    }

    static func file(_ text: String, type: String) -> Response {
        var headers: HTTPFields = [.contentType: type, .cacheControl: "no-cache"]
        headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
