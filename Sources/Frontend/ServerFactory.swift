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
    /// `--watch` roots; `followers` records their files for `/events` (HTTP mode only).
    var roots = WatchRoots.none
    var followers: FileFollowers?
    var backups: BackupKeeper?

    /// What the server tells every client, with the job policy in force (DESIGN.md: it says
    /// exactly what is enforced).
    var instructions: String {
        Self.baseInstructions + " " + (service.policy?.description ?? PolicyReport.unknown)
    }

    static let baseInstructions = "Runs shell commands through a crash-safe file queue. Use run for commands that finish quickly; start + wait/output for long ones; session_start for a persistent shell. Job output is also readable as resources spool://jobs/<id>/stdout and .../stderr. With --watch, file_tail/file_read read logs your commands did not write (resources spool://files/<absolute path>); with --backup, backup_list/backup_diff/backup_restore undo changes to the work tree."

    /// A configured server, and the cleanup to run when its session ends.
    func make(client: ClientIdentity) async -> (server: Server, close: @Sendable () async -> Void) {
        let server = Server(
            name: ServerIdentity.name, version: ServerIdentity.version,
            instructions: instructions,
            capabilities: .init(logging: .init(), resources: .init(subscribe: true, listChanged: false), tools: .init(listChanged: false)))
        let threshold = LogThreshold()
        var tools = SpoolTools(
            service: service, workingDirectory: workingDirectory, peaks: peaks,
            budget: budget, progressKeepAlive: progressKeepAlive,
            notify: { [weak server] data in
                guard threshold.allows(.notice) else { return }
                // A client that went away misses a notice; its calls fail on their own.
                try? await server?.log(level: .notice, logger: "spool", data: data)
            })
        tools.roots = roots
        tools.backups = backups
        tools.client = client
        let configured = tools
        let features = tools.features
        let resources = OutputResources(service: service)
        let files = roots.isEmpty ? nil : FileResources(roots: roots, followers: followers)
        let subscriptions = ResourceSubscriptions(watcher: service.watcher, target: { (uri: String) async throws(MCPError) in
            if let files, ResourceKind.of(uri) == .file { return try await files.subscription(uri) }
            return try resources.subscription(uri)
        }, notify: { [weak server] uri in
            try? await server?.notify(ResourceUpdatedNotification.message(.init(uri: uri))) // the client went away: nothing to tell
        })
        let listener = await backups?.addListener { [weak server] notice in
            let level: LogLevel = notice.type == "backup_skipped" ? .warning : .notice
            guard threshold.allows(level), let data = try? PlainJSON.value(of: notice) else { return }
            try? await server?.log(level: level, logger: "spool", data: data) // a client that went away misses the notice
        }
        await server.withMethodHandler(SetLoggingLevel.self) { params in
            threshold.set(params.level)
            return Empty()
        }
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: ToolCatalog.tools(with: features)) }
        await server.withMethodHandler(CallTool.self) { [weak server] params in
            let progress = params._meta?.progressToken.flatMap { token in
                server.map { ProgressReporter(token: token, server: $0) }
            }
            return try await configured.call(params.name, params.arguments, progress: progress)
        }
        await server.withMethodHandler(ListResources.self) { _ in
            ListResources.Result(resources: (files?.list() ?? []) + resources.list().resources)
        }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in
            ListResourceTemplates.Result(templates: OutputResources.templates + (files == nil ? [] : [FileResources.template]))
        }
        await server.withMethodHandler(ReadResource.self) { params in
            if let files, ResourceKind.of(params.uri) == .file { return try files.read(params.uri) }
            return try resources.read(params.uri)
        }
        await server.withMethodHandler(ResourceSubscribe.self) { params in
            try await subscriptions.subscribe(params.uri)
            return Empty()
        }
        await server.withMethodHandler(ResourceUnsubscribe.self) { params in
            await subscriptions.unsubscribe(params.uri)
            return Empty()
        }
        let backups = self.backups
        return (server, {
            await subscriptions.cancelAll()
            if let listener { await backups?.removeListener(listener) }
        })
    }
}

import Synchronization

/// Which family of resources a URI names, from its parsed host (`spool://files/...`).
enum ResourceKind: Equatable {
    case job, file, unknown

    static func of(_ uri: String) -> ResourceKind {
        guard let url = URLComponents(string: uri), url.scheme == "spool" else { return .unknown }
        switch url.host {
        case "files": return .file
        case "jobs": return .job
        default: return .unknown
        }
    }
}

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
