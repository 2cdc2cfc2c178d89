import MCPWire
import Spool

/// `tools/list` and `tools/call`, in both revisions. To a 2026-07-28 request that declared
/// the tasks extension, `start` (and a `run` that outlasts its `wait`) answers with a task
/// whose record is on disk before the answer leaves.
extension MCPDispatcher {
    func listTools(_ request: MCPRequest, _ context: Context) -> [String: Value] {
        ["tools": .array(ToolCatalog.tools(with: tools(for: request, context).features).map(\.value))]
    }

    /// The tools as one request may use them: its client, and where its notices go.
    func tools(for request: MCPRequest, _ context: Context) -> SpoolTools {
        if let connection = context.connection {
            return tools(notify: { data in
                guard connection.threshold.allows(.notice) else { return }
                await connection.notices.notify("notifications/message", Self.logMessage(data))
            }, client: connection.identity)
        }
        // 2026-07-28: notices only when the request set a log level, on its own stream.
        let level = request.logLevel.flatMap(LogLevel.init(rawValue:))
        let sink = context.sink
        return tools(notify: { data in
            guard let level, LogLevel.notice >= level else { return }
            await sink.notify("notifications/message", Self.logMessage(data))
        }, client: ClientIdentity(request.client))
    }

    private static func logMessage(_ data: [String: String]) -> Value {
        ["level": "notice", "logger": "spool", "data": .object(data.mapValues { .string($0) })]
    }

    func tools(notify: @escaping @Sendable ([String: String]) async -> Void, client: ClientIdentity) -> SpoolTools {
        var tools = SpoolTools(
            service: service, workingDirectory: configuration.workingDirectory, peaks: configuration.peaks,
            budget: configuration.budget, progressKeepAlive: configuration.progressKeepAlive, notify: notify)
        tools.roots = configuration.roots
        tools.backups = configuration.backups
        tools.client = client
        return tools
    }

    func call(_ request: MCPRequest, _ context: Context) async throws -> [String: Value] {
        let name = try Self.string(request, "name", "a tool name string")
        var arguments: [String: Value]?
        switch request.params["arguments"] {
        case nil, .null?: arguments = nil
        case .object(let object)?: arguments = object
        case let other?: throw MCPError.invalidParams("\"arguments\" of tools/call must be an object of the tool's arguments, got \(other.shortDescription)")
        }
        let tools = tools(for: request, context)
        let sink = context.sink
        let progress = request.progressToken.map { ProgressReporter(token: $0, sink: sink) }
        if request.acceptsTasks, let tool = ToolName(rawValue: name), tool == .start || tool == .run {
            do {
                if tool == .start {
                    let (_, job) = try await tools.startJob(arguments)
                    return try createTask(for: job, tools: tools)
                }
                let outcome = try await tools.runJob(arguments, progress: progress, abandon: context.abandon)
                if outcome.final { return outcome.result.value.objectValue ?? [:] }
                return try createTask(for: outcome.job, tools: tools)
            } catch let error as ToolError {
                return CallToolResult(text: error.description, isError: true).value.objectValue ?? [:]
            } catch let error as SpoolError {
                return CallToolResult(text: error.description, isError: true).value.objectValue ?? [:]
            }
        }
        return try await tools.call(name, arguments, progress: progress, abandon: context.abandon).value.objectValue ?? [:]
    }
}
