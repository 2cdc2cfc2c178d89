import Foundation
import MCPWire
import Spool

/// The one MCP dispatch of spool-mcp: a method table that serves both revisions on stdio
/// and on `/mcp`. The request's `Revision` decides which methods exist, how results are
/// decorated and where notices go; tools, resources, tasks, progress, cancellation and
/// errors are written once. Transports only frame messages and carry them here.
struct MCPDispatcher: Sendable {
    let configuration: ServerConfiguration
    /// `--retain` in seconds: how long a finished job, and so its task, is kept.
    let retain: Double
    /// Suggested to clients between two `tasks/get`.
    var pollInterval: Duration = .seconds(1)

    var service: JobService { configuration.service }
    var tasks: TaskStore { TaskStore(layout: service.layout) }

    /// Where a request's notices go and what happens when it is abandoned.
    struct Context: Sendable {
        /// This request's own stream (progress, a 2026-07-28 request's notices).
        var sink: NoticeSink
        /// The 2025-11-25 connection the request came on (nil for 2026-07-28).
        var connection: MCPConnection? = nil
        /// Whether a `run` whose call ends early takes its job with it.
        var abandon: SpoolTools.Abandon = .terminate
    }

    /// How long a 2026-07-28 client may cache a result, and for whom.
    struct CacheHint: Sendable {
        var ttlMs: Int
        var scope: String
        static let stable = CacheHint(ttlMs: 300_000, scope: "public")
        static let live = CacheHint(ttlMs: 0, scope: "private")
    }

    struct Method: Sendable {
        var revisions: Set<Revision.Kind>
        var cache: CacheHint?
        var run: @Sendable (MCPDispatcher, MCPRequest, Context) async throws -> [String: Value]
    }

    static let both: Set<Revision.Kind> = [.handshake, .envelope]

    static let methods: [String: Method] = [
        "initialize": Method(revisions: [.handshake]) { try $0.initialize($1, $2) },
        "ping": Method(revisions: [.handshake]) { _, _, _ in [:] },
        "logging/setLevel": Method(revisions: [.handshake]) { try $0.setLevel($1, $2) },
        "server/discover": Method(revisions: [.envelope], cache: .stable) { dispatcher, _, _ in dispatcher.discover() },
        "tools/list": Method(revisions: both, cache: .stable) { $0.listTools($1, $2) },
        "tools/call": Method(revisions: both) { try await $0.call($1, $2) },
        "resources/list": Method(revisions: both, cache: .live) { dispatcher, _, _ in dispatcher.listResources() },
        "resources/templates/list": Method(revisions: both, cache: .stable) { dispatcher, _, _ in dispatcher.listTemplates() },
        "resources/read": Method(revisions: both, cache: .live) { dispatcher, request, _ in try await dispatcher.read(request) },
        "resources/subscribe": Method(revisions: [.handshake]) { try await $0.subscribe($1, $2) },
        "resources/unsubscribe": Method(revisions: [.handshake]) { try await $0.unsubscribe($1, $2) },
        "tasks/get": Method(revisions: [.envelope]) { dispatcher, request, _ in try dispatcher.taskGet(request) },
        "tasks/cancel": Method(revisions: [.envelope]) { dispatcher, request, _ in try dispatcher.taskCancel(request) },
        // Spool never asks for input, so there is nothing to update.
        "tasks/update": Method(revisions: [.envelope]) { _, _, _ in [:] },
        "subscriptions/listen": Method(revisions: [.envelope]) { try await $0.listen($1, $2) },
    ]

    /// The answer to one request: its result, decorated for its revision, or an error.
    func handle(_ request: MCPRequest, context: Context) async -> Result<Value, MCPError> {
        guard let method = Self.methods[request.method], method.revisions.contains(request.revision.kind) else {
            return .failure(notFound(request))
        }
        do {
            var result = try await method.run(self, request, context)
            if request.revision == .envelope { decorate(&result, cache: method.cache) }
            return .success(.object(result))
        } catch let error as MCPError {
            return .failure(error)
        } catch let error as CancellationError {
            return .failure(.internalError("the request was cancelled (\(error))"))
        } catch {
            return .failure(.internalError("\(error)"))
        }
    }

    private func notFound(_ request: MCPRequest) -> MCPError {
        let method = request.method.prefix(80)
        switch request.revision {
        case .envelope:
            return .methodNotFound("\(method) is not part of \(ModernProtocol.version) as spool-mcp serves it (no ping, logging/setLevel or resources/subscribe: see server/discover)")
        case .handshake(let version):
            return .methodNotFound("\(method) is not part of \(version) as spool-mcp serves it (tools, resources, logging and ping; tasks and subscriptions/listen are 2026-07-28)")
        }
    }

    /// 2026-07-28: `resultType`, the server's info, and cache hints unless the method set its own.
    private func decorate(_ result: inout [String: Value], cache: CacheHint?) {
        if result["resultType"] == nil { result["resultType"] = "complete" }
        var meta = result["_meta"]?.objectValue ?? [:]
        meta[ModernProtocol.serverInfoKey] = ServerIdentity.info
        result["_meta"] = .object(meta)
        if let cache, result["ttlMs"] == nil {
            result["ttlMs"] = .int(cache.ttlMs)
            result["cacheScope"] = .string(cache.scope)
        }
    }

    /// A required string parameter, or -32602 that names it.
    static func string(_ request: MCPRequest, _ field: String, _ what: String) throws(MCPError) -> String {
        guard let value = request.params[field], value != .null else {
            throw .invalidParams("\(request.method) needs \"\(field)\" (\(what))")
        }
        guard case .string(let text) = value else {
            throw .invalidParams("\"\(field)\" of \(request.method) must be \(what), got \(value.shortDescription)")
        }
        return text
    }
}
