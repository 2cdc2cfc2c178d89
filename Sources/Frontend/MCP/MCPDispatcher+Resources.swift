import MCPWire
import Spool

/// Resources in both revisions: jobs' output, watched files; `resources/subscribe` for a
/// 2025-11-25 connection (2026-07-28 follows them with `subscriptions/listen`).
extension MCPDispatcher {
    func listResources() -> [String: Value] {
        let list = (configuration.files?.list() ?? []) + OutputResources(service: service).list()
        return ["resources": .array(list.map(\.value))]
    }

    func listTemplates() -> [String: Value] {
        let templates = OutputResources.templates + (configuration.roots.isEmpty ? [] : [FileResources.template])
        return ["resourceTemplates": .array(templates.map(\.value))]
    }

    func read(_ request: MCPRequest) async throws -> [String: Value] {
        let uri = try Self.string(request, "uri", "a resource URI string")
        do throws(MCPError) {
            let result: ReadResourceResult
            if let files = configuration.files, ResourceKind.of(uri) == .file {
                result = try files.read(uri)
            } else {
                result = try OutputResources(service: service).read(uri)
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
        return { uri throws(MCPError) in
            if let files, ResourceKind.of(uri) == .file { return try await files.subscription(uri) }
            return try outputs.subscription(uri)
        }
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
