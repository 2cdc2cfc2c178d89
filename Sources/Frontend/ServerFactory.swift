import Foundation
import MCP
import Spool

/// Builds the MCP `Server` with Spool's tools and resources: one for stdio, one per
/// session over HTTP (the SDK binds a server to one transport).
struct ServerFactory: Sendable {
    let service: JobService
    let peaks: Peaks
    let workingDirectory: String
    var budget: OutputBudget = .standard
    var progressKeepAlive: Duration = .seconds(15)

    static let instructions = "Runs shell commands through a crash-safe file queue. Use run for commands that finish quickly; start + wait/output for long ones; session_start for a persistent shell. Job output is also readable as resources spool://jobs/<id>/stdout and .../stderr."

    /// A configured server, and the cleanup to run when its session ends.
    func make() async -> (server: Server, close: @Sendable () async -> Void) {
        let server = Server(
            name: "spool", version: "0.3.0",
            instructions: Self.instructions,
            capabilities: .init(logging: .init(), resources: .init(subscribe: true, listChanged: false), tools: .init(listChanged: false)))
        let threshold = LogThreshold()
        let tools = SpoolTools(
            service: service, workingDirectory: workingDirectory, peaks: peaks,
            budget: budget, progressKeepAlive: progressKeepAlive,
            notify: { [weak server] data in
                guard threshold.allows(.notice) else { return }
                // A client that went away misses a notice; its calls fail on their own.
                try? await server?.log(level: .notice, logger: "spool", data: data)
            })
        let resources = OutputResources(service: service)
        let subscriptions = OutputSubscriptions(service: service) { [weak server] uri in
            try? await server?.notify(ResourceUpdatedNotification.message(.init(uri: uri))) // the client went away: nothing to tell
        }
        await server.withMethodHandler(SetLoggingLevel.self) { params in
            threshold.set(params.level)
            return Empty()
        }
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: ToolCatalog.tools) }
        await server.withMethodHandler(CallTool.self) { [weak server] params in
            let progress = params._meta?.progressToken.flatMap { token in
                server.map { ProgressReporter(token: token, server: $0) }
            }
            return try await tools.call(params.name, params.arguments, progress: progress)
        }
        await server.withMethodHandler(ListResources.self) { _ in resources.list() }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in
            ListResourceTemplates.Result(templates: OutputResources.templates)
        }
        await server.withMethodHandler(ReadResource.self) { params in try resources.read(params.uri) }
        await server.withMethodHandler(ResourceSubscribe.self) { params in
            try await subscriptions.subscribe(params.uri)
            return Empty()
        }
        await server.withMethodHandler(ResourceUnsubscribe.self) { params in
            await subscriptions.unsubscribe(params.uri)
            return Empty()
        }
        return (server, { await subscriptions.cancelAll() })
    }
}

import Synchronization

/// The least severe `notifications/message` level the client asked for with
/// `logging/setLevel` (MCP's default when it never asks: everything).
final class LogThreshold: Sendable {
    private let level = Mutex(LogLevel.debug)

    func set(_ newLevel: LogLevel) { level.withLock { $0 = newLevel } }

    func allows(_ candidate: LogLevel) -> Bool {
        let order = LogLevel.allCases
        let minimum = level.withLock { $0 }
        return order.firstIndex(of: candidate)! >= order.firstIndex(of: minimum)!
    }
}
