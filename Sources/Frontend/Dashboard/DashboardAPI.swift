import Foundation
import HTTPTypes
import Hummingbird
import MCPWire
import NIOCore
import Spool

/// `/api/`: the dashboard's JSON API (DESIGN.md, "Dashboard"). Reads go to the spool's
/// files; writes are the tools MCP clients call (`cancel`, `promote`, `start`), so a cancel
/// from the page is exactly an agent's cancel, audited with client `spool-dashboard`.
/// `AccessGuard` has already checked Host, Origin and the token; a write must also come
/// from this page's own origin, with a JSON body.
struct DashboardAPI: Sendable {
    let dispatcher: MCPDispatcher
    let token: Bool
    let bodyTimeout: Duration

    static let clientName = "spool-dashboard"
    var service: JobService { dispatcher.configuration.service }

    func register(on router: Router<SpoolRequestContext>) {
        router.get("api/stats") { request, context in
            await respond { () async throws(APIError) in
                // The stats tool's answer, with the policy in words (as the tool's text has it).
                var stats = try await toolResult("stats", [:], request, context).objectValue ?? [:]
                stats["policyText"] = .string(service.policy?.description ?? PolicyReport.unknown)
                return JSONWriter.bytes(.object(stats))
            }
        }
        router.get("api/workers") { _, _ in
            await respond { () throws(APIError) in try encode(WorkersView(LiveWorker.all(service.layout))) }
        }
        // Sessions, watched files and backups (the last two only when enabled: 409 says so).
        router.get("api/sessions") { request, context in
            await respond { () async throws(APIError) in try await tool("session_list", [:], request, context) }
        }
        router.get("api/backups") { request, context in
            await respond { () async throws(APIError) in try await tool("backup_list", ["limit": 50], request, context) }
        }
        router.get("api/backups/:commit/diff") { request, context in
            await respond { () async throws(APIError) in
                try await tool("backup_diff", ["backup": .string(context.parameters.get("commit") ?? "")], request, context)
            }
        }
        router.get("api/files") { request, context in
            await respond { () async throws(APIError) in
                guard let files = dispatcher.configuration.files else { throw .conflict("not available: start spool-mcp with --watch DIR to follow files") }
                let list: [Value] = files.list().map { ["path": .string($0.name), "size": $0.size.map(Value.int) ?? .null] }
                return JSONWriter.bytes(["files": .array(list)])
            }
        }
        router.get("api/files/tail") { request, context in
            await respond { () async throws(APIError) in
                let path = request.uri.queryParameters["path"].map(String.init) ?? ""
                return try await tool("file_tail", ["path": .string(path), "lines": 100], request, context)
            }
        }
        let history = HourHistoryFeed(layout: service.layout)
        router.get("api/history") { _, _ in
            await respond { () async throws(APIError) in
                try encode(await history.window())
            }
        }
        router.get("api/jobs") { request, _ in
            await respond { () throws(APIError) in
                var fields: [String: String] = [:]
                for (name, value) in request.uri.queryParameters { fields[String(name)] = String(value) }
                let query: JobQuery
                do throws(JobQuery.QueryError) { query = try JobQuery(fields: fields) } catch { throw .badRequest(error.description) }
                return try encode(jobs(query))
            }
        }
        router.get("api/jobs/:id") { _, context in
            await respond { () throws(APIError) in try encode(detail(try Self.job(context))) }
        }
        // A job's output and screen: the `output` and `screen` tools (no waiting).
        router.get("api/jobs/:id/output") { request, context in
            await respond { () async throws(APIError) in
                var arguments: [String: Value] = ["job": .string(try Self.job(context).rawValue)]
                let query = request.uri.queryParameters
                if let stream = query["stream"] { arguments["stream"] = .string(String(stream)) }
                for name in ["offset", "limit"] {
                    guard let text = query[Substring(name)] else { continue }
                    guard let number = Int(text) else { throw .badRequest("\(name)=\(text.prefix(40)) is not a whole number") }
                    arguments[name] = .int(number)
                }
                return try await tool("output", arguments, request, context)
            }
        }
        router.get("api/jobs/:id/screen") { request, context in
            await respond { () async throws(APIError) in
                try await tool("screen", ["job": .string(try Self.job(context).rawValue), "settle": 0, "timeout": 0], request, context)
            }
        }
        router.post("api/jobs/:id/:action") { request, context in
            await respond { () async throws(APIError) in try await write(request, context) }
        }
    }

    // MARK: reads

    func jobs(_ query: JobQuery) -> JobQuery.Page {
        let ids = service.inspector.allJobs().map(\.id)
        return query.page(ids) { id in row(id) }
    }

    /// One job as the list shows it; nil when it is gone or unreadable.
    func row(_ id: JobID) -> JobQuery.Row? {
        guard let status = try? service.snapshot(id).status else { return nil }
        let request = service.records.requestAnywhere(id)
        return JobQuery.Row(job: id.rawValue, state: status.state, priority: status.priority, command: request?.command,
                            host: status.host, client: request?.client?.name, worker: status.worker?.rawValue,
                            exitCode: status.exitCode, createdAt: status.createdAt, startedAt: status.startedAt,
                            finishedAt: status.finishedAt, tty: request?.tty == true ? true : nil)
    }

    /// The job page: its status and its request (command, cwd, shell, client, terminal).
    struct Detail: Codable, Sendable {
        var status: JobView
        var command: String?
        var cwd: String?
        var shell: String?
        /// The names of its environment variables (never the values, as in the audit log).
        var env: [String]?
        var client: AuditClient?
        var tty: Bool?
        var cols: Int?
        var rows: Int?
        var timeout: Double?
    }

    func detail(_ id: JobID) throws(APIError) -> Detail {
        let snapshot: JobInspector.Snapshot
        do { snapshot = try service.snapshot(id) } catch { throw .notFound("\(error)") }
        let request = service.records.requestAnywhere(id)
        return Detail(status: JobView(snapshot), command: request?.command, cwd: request?.cwd, shell: request?.shell,
                      env: request?.env.map { $0.keys.sorted() }, client: request?.client, tty: request?.tty,
                      cols: request?.terminal?.cols, rows: request?.terminal?.rows, timeout: request?.timeout)
    }


    // MARK: writes

    struct Body: Decodable {
        var priority: Priority?
    }

    private func write(_ request: Request, _ context: SpoolRequestContext) async throws(APIError) -> [UInt8] {
        // A page from elsewhere cannot post here: the Origin must be this server's own,
        // and a form cannot send application/json without a preflight.
        guard let origin = request.headers[.origin], Self.sameOrigin(origin, authority: request.head.authority) else {
            throw .forbidden("a write needs this page's own Origin (\(request.head.authority ?? "this server")); it came from \(request.headers[.origin] ?? "no Origin")")
        }
        guard (request.headers[.contentType] ?? "").lowercased().hasPrefix("application/json") else {
            throw .unsupportedMedia("send the body as Content-Type: application/json (an empty object {} is enough)")
        }
        var request = request
        let bytes: [UInt8]
        switch await MCPRoute.collect(&request, timeout: bodyTimeout) {
        case .body(let body): bytes = body
        case .tooLarge: throw .badRequest(MCPRoute.tooLarge)
        case .timedOut: throw .badRequest("the request body did not arrive within \(bodyTimeout)")
        }
        let body: Body
        do { body = try JSONDecoder().decode(Body.self, from: Data(bytes.isEmpty ? Array("{}".utf8) : bytes)) } catch {
            throw .badRequest("the body is not a JSON object with optional priority (\"sync\" or \"async\"): \(error)")
        }
        let id = try Self.job(context)
        switch context.parameters.get("action") {
        case "cancel": return try await tool("cancel", ["job": .string(id.rawValue)], request, context)
        case "promote":
            return try await tool("promote", ["job": .string(id.rawValue), "priority": .string((body.priority ?? .sync).rawValue)], request, context)
        case "rerun":
            guard let original = service.records.requestAnywhere(id) else { throw .notFound("job \(id)'s request is gone (removed by retention?); nothing to run again") }
            guard original.session == nil, !original.opensSession else {
                throw .badRequest("job \(id) ran in a session, whose shell state cannot be repeated; start it again from your agent")
            }
            var arguments: [String: Value] = ["command": .string(original.command), "priority": .string(original.priority.rawValue)]
            if let cwd = original.cwd { arguments["cwd"] = .string(cwd) }
            if let shell = original.shell { arguments["shell"] = .string(shell) }
            if let env = original.env { arguments["env"] = .object(env.mapValues { .string($0) }) }
            if let timeout = original.timeout { arguments["timeout"] = .double(timeout) }
            if let stdin = original.stdin { arguments["stdin"] = .string(stdin) }
            if let retries = original.retries { arguments["retries"] = .int(retries) }
            if original.tty == true {
                arguments["tty"] = true
                if let cols = original.cols { arguments["cols"] = .int(cols) }
                if let rows = original.rows { arguments["rows"] = .int(rows) }
            }
            return try await tool("start", arguments, request, context)
        default:
            throw .notFound("no such action: POST /api/jobs/<id>/cancel, /promote or /rerun")
        }
    }

    /// Calls a tool as the dashboard's client; its `structuredContent` is the answer, and
    /// a tool error becomes an HTTP error with the tool's text.
    private func tool(_ name: String, _ arguments: [String: Value], _ request: Request, _ context: SpoolRequestContext) async throws(APIError) -> [UInt8] {
        JSONWriter.bytes(try await toolResult(name, arguments, request, context))
    }

    private func toolResult(_ name: String, _ arguments: [String: Value], _ request: Request, _ context: SpoolRequestContext) async throws(APIError) -> Value {
        let client = AuditClient(name: Self.clientName, transport: .http,
                                 peer: context.channel.remoteAddress.map(MCPRoute.address), token: token)
        let tools = dispatcher.tools(notify: { _ in }, client: ClientIdentity(client))
        let result: CallToolResult
        do { result = try await tools.call(name, arguments) } catch { throw .badRequest("\(error)") }
        if result.isError { throw .conflict(result.text.joined(separator: "\n")) }
        return result.structuredContent ?? [:]
    }

    // MARK: plumbing

    enum APIError: Error {
        case badRequest(String)
        case notFound(String)
        case forbidden(String)
        case conflict(String)
        case unsupportedMedia(String)

        var status: HTTPResponse.Status {
            switch self {
            case .badRequest: .badRequest
            case .notFound: .notFound
            case .forbidden: .forbidden
            case .conflict: .conflict
            case .unsupportedMedia: .unsupportedMediaType
            }
        }

        var message: String {
            switch self {
            case .badRequest(let text), .notFound(let text), .forbidden(let text), .conflict(let text), .unsupportedMedia(let text): text
            }
        }
    }

    static func job(_ context: SpoolRequestContext) throws(APIError) -> JobID {
        let text = context.parameters.get("id") ?? ""
        guard let id = JobID(text) else { throw .notFound("'\(text.prefix(60))' is not a job id") }
        return id
    }

    /// Whether `origin` is this server as the request reached it (scheme http, same host and port).
    static func sameOrigin(_ origin: String, authority: String?) -> Bool {
        guard let parsed = WebOrigin(parsing: origin), parsed.scheme == "http",
              let authority, let server = HostAuthority(parsing: authority) else { return false }
        return parsed.authority.host.lowercased() == server.host.lowercased() && parsed.authority.port == server.port
    }

    private func encode(_ value: some Encodable) throws(APIError) -> [UInt8] {
        do { return try SpoolJSON.encode(value) } catch { throw .badRequest("\(error)") }
    }

    private func respond(_ body: () async throws(APIError) -> [UInt8]) async -> Response {
        do {
            return MCPRoute.json(status: 200, try await body(), headers: [.cacheControl: "no-store"])
        } catch {
            return AccessGuard<SpoolRequestContext>.refusal(error.status, error.message)
        }
    }
}
