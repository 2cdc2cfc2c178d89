import MCPWire
import Spool

/// Resources in both revisions: jobs' output, sessions, the backup list and watched
/// files; `resources/subscribe` for a 2025-11-25 connection (2026-07-28 follows them with
/// `subscriptions/listen`).
extension MCPDispatcher {
    func listResources() -> [String: Value] {
        let list = [configuration.backupResource.map { _ in BackupResource.resource }].compactMap { $0 }
            + SessionResources(service: service).list() + (configuration.files?.list() ?? []) + OutputResources(service: service).list()
        return ["resources": .array(list.map(\.value))]
    }

    func listTemplates() -> [String: Value] {
        let templates = OutputResources.templates + [ScreenResources.template, SessionResources.template] + (configuration.roots.isEmpty ? [] : [FileResources.template])
        return ["resourceTemplates": .array(templates.map(\.value))]
    }

    func read(_ request: MCPRequest) async throws -> [String: Value] {
        let uri = try Self.string(request, "uri", "a resource URI string")
        do throws(MCPError) {
            let result: ReadResourceResult
            switch (ResourceKind.of(uri), configuration.files) {
            case (.file, let files?): result = try files.read(uri)
            case (.session, _): result = try SessionResources(service: service).read(uri)
            case (.screen, _): result = try await ScreenResources(service: service).read(uri)
            case (.backups, _): result = try await backupResource(uri).read()
            default: result = try OutputResources(service: service).read(uri)
            }
            return result.value.objectValue ?? [:]
        } catch {
            // 2026-07-28: a resource that is not there is invalid params, naming the URI;
            // 2025-11-25 keeps MCP's -32002.
            guard request.revision == .envelope else { throw error }
            throw MCPError(code: MCPError.Code.invalidParams, message: error.message, data: ["uri": .string(uri)])
        }
    }

    /// What a subscription to `uri` follows, or why it cannot be followed.
    var subscriptionTarget: @Sendable (String) async throws(MCPError) -> ResourceSubscriptions.Target {
        let files = configuration.files
        let outputs = OutputResources(service: service)
        let sessions = SessionResources(service: service)
        let screens = ScreenResources(service: service)
        let backups = configuration.backupResource
        return { uri throws(MCPError) in
            switch (ResourceKind.of(uri), files) {
            case (.file, let files?): return try await files.subscription(uri)
            case (.session, _): return try sessions.subscription(uri)
            case (.screen, _): return try screens.subscription(uri)
            case (.backups, _):
                guard let backups else { throw Self.noBackups(uri) }
                return backups.subscription
            default: return try outputs.subscription(uri)
            }
        }
    }

    private func backupResource(_ uri: String) throws(MCPError) -> BackupResource {
        guard let backups = configuration.backupResource else { throw Self.noBackups(uri) }
        return backups
    }

    private static func noBackups(_ uri: String) -> MCPError {
        .resourceNotFound("no backups here: start spool-mcp with --backup DIR to back up a work tree", uri: uri)
    }

    func subscribe(_ request: MCPRequest, _ context: Context) async throws -> [String: Value] {
        let uri = try Self.string(request, "uri", "a resource URI string")
        try await context.connection?.subscriptions?.subscribe(uri)
        return [:]
    }

    func unsubscribe(_ request: MCPRequest, _ context: Context) async throws -> [String: Value] {
        let uri = try Self.string(request, "uri", "a resource URI string")
        await context.connection?.subscriptions?.unsubscribe(uri)
        return [:]
    }
}
