import Foundation
import MCP
import Spool

/// Serves MCP 2026-07-28 requests, one at a time and each on its own: no session, no
/// initialize, every request carries its version and capabilities (`ModernEnvelope`).
/// It shares the tools, resources and spool with the 2025-11-25 path; only the framing
/// differs (`resultType`, cache hints, `serverInfo`, tasks, `subscriptions/listen`).
struct ModernServer: Sendable {
    let factory: ServerFactory
    /// `--retain` in seconds: how long a finished job, and so its task, is kept.
    let retain: Double
    /// Suggested to clients between two `tasks/get`.
    var pollInterval: Duration = .seconds(1)

    var service: JobService { factory.service }
    var tasks: TaskStore { TaskStore(layout: service.layout) }

    /// The answer to one request: its result (with `resultType` and `serverInfo`), or an error.
    func handle(_ request: ModernRequest, sink: ModernSink, abandon: SpoolTools.Abandon) async -> Result<Value, ModernError> {
        do {
            var result = try await dispatch(request, sink: sink, abandon: abandon)
            if result["resultType"] == nil { result["resultType"] = "complete" }
            var meta = result["_meta"]?.objectValue ?? [:]
            meta[ModernProtocol.serverInfoKey] = ModernProtocol.serverInfo
            result["_meta"] = .object(meta)
            return .success(.object(result))
        } catch let error as ModernError {
            return .failure(error)
        } catch let error as MCPError {
            return .failure(ModernError(code: error.code, message: error.errorDescription ?? "\(error)"))
        } catch {
            return .failure(ModernError(code: ModernProtocol.Code.internalError, message: "Internal error: \(error)"))
        }
    }

    private func dispatch(_ request: ModernRequest, sink: ModernSink, abandon: SpoolTools.Abandon) async throws -> [String: Value] {
        switch request.method {
        case "server/discover": return discover()
        case "tools/list":
            let tools = try PlainJSON.value(of: ToolCatalog.tools(with: tools(for: request, sink: sink).features))
            // The list changes only with spool-mcp's flags, and is the same for everyone.
            return ["tools": tools, "ttlMs": 300_000, "cacheScope": "public"]
        case "tools/call": return try await call(request, sink: sink, abandon: abandon)
        case "resources/list":
            let files = factory.roots.isEmpty ? nil : FileResources(roots: factory.roots, followers: factory.followers)
            let list = (files?.list() ?? []) + OutputResources(service: service).list().resources
            return ["resources": try PlainJSON.value(of: list), "ttlMs": 0, "cacheScope": "private"]
        case "resources/templates/list":
            let templates = OutputResources.templates + (factory.roots.isEmpty ? [] : [FileResources.template])
            return ["resourceTemplates": try PlainJSON.value(of: templates), "ttlMs": 300_000, "cacheScope": "public"]
        case "resources/read": return try read(request)
        case "tasks/get": return try taskGet(request)
        case "tasks/cancel": return try taskCancel(request)
        case "tasks/update": return [:] // Spool never asks for input, so there is nothing to update
        case "subscriptions/listen": return try await listen(request, sink: sink)
        default:
            throw ModernError(code: ModernProtocol.Code.methodNotFound,
                              message: "Method not found: \(request.method.prefix(80)) is not part of \(ModernProtocol.version) as spool-mcp serves it (no ping, logging/setLevel or resources/subscribe: see server/discover)")
        }
    }

    private func discover() -> [String: Value] {
        [
            "supportedVersions": .array(ModernProtocol.servedVersions.map { .string($0) }),
            "capabilities": [
                "tools": ["listChanged": false],
                "resources": ["listChanged": false, "subscribe": true],
                "logging": [:],
                "extensions": [.init(stringLiteral: ModernProtocol.tasksExtension): [:]],
            ],
            "instructions": .string(factory.instructions + " With the tasks extension, start (and a run that outlasts its wait) returns a task: poll tasks/get."),
            "ttlMs": 300_000,
            "cacheScope": "public",
        ]
    }

    /// The tools as this request may use them: notices (`notifications/message`) only
    /// when the request set a log level.
    func tools(for request: ModernRequest, sink: ModernSink) -> SpoolTools {
        let level = request.logLevel.flatMap(LogLevel.init(rawValue:))
        var tools = SpoolTools(
            service: service, workingDirectory: factory.workingDirectory, peaks: factory.peaks,
            budget: factory.budget, progressKeepAlive: factory.progressKeepAlive,
            notify: { data in
                guard let level, LogThreshold.order(.notice) >= LogThreshold.order(level) else { return }
                let payload: Value = .object(data.mapValues { .string($0) })
                _ = await sink.notify("notifications/message", ["level": "notice", "logger": "spool", "data": payload])
            })
        tools.roots = factory.roots
        tools.backups = factory.backups
        tools.client = ClientIdentity(request.client)
        return tools
    }

    private func read(_ request: ModernRequest) throws -> [String: Value] {
        guard case .string(let uri)? = request.params["uri"] else {
            throw ModernError.invalidParams("resources/read needs \"uri\" (a resource URI string)")
        }
        let result: ReadResource.Result
        do {
            if ResourceKind.of(uri) == .file, !factory.roots.isEmpty {
                result = try FileResources(roots: factory.roots, followers: factory.followers).read(uri)
            } else {
                result = try OutputResources(service: service).read(uri)
            }
        } catch {
            // 2026-07-28: a resource that is not there is invalid params, naming the URI.
            throw ModernError.invalidParams(error.errorDescription ?? "\(error)", data: ["uri": .string(uri)])
        }
        guard var object = try PlainJSON.value(of: result).objectValue else { return [:] }
        object["ttlMs"] = 0 // job output grows while the job runs
        object["cacheScope"] = "private"
        return object
    }
}

extension LogThreshold {
    static func order(_ level: LogLevel) -> Int { LogLevel.allCases.firstIndex(of: level) ?? 0 }
}
