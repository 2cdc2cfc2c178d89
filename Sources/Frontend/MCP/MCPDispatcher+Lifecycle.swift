import MCPWire
import Spool

/// `initialize`, `logging/setLevel` (2025-11-25) and `server/discover` (2026-07-28): what
/// each revision says about the server, from the same capabilities and instructions.
extension MCPDispatcher {
    static let capabilities: Value = [
        "tools": ["listChanged": false],
        "resources": ["listChanged": false, "subscribe": true],
        "logging": [:],
    ]

    func initialize(_ request: MCPRequest, _ context: Context) throws -> [String: Value] {
        guard let connection = context.connection else { throw MCPError.invalidRequest("initialize needs a connection") }
        let requested = try Self.string(request, "protocolVersion", "a protocol version string such as \"2025-11-25\"")
        if let capabilities = request.params["capabilities"], !capabilities.isObject, capabilities != .null {
            throw MCPError.invalidParams("\"capabilities\" of initialize must be an object, got \(capabilities.shortDescription)")
        }
        let version = Revision.negotiate(requested)
        guard connection.initialize(version: version) else {
            throw MCPError.invalidRequest("this connection is already initialized (at \(connection.version ?? version)); initialize once per connection")
        }
        let info = request.params["clientInfo"]
        connection.identity.introduce(name: info?["name"]?.stringValue ?? "", version: info?["version"]?.stringValue ?? "",
                                      revision: Revision.handshakeVersions[0])
        return [
            "protocolVersion": .string(version),
            "capabilities": Self.capabilities,
            "serverInfo": ServerIdentity.info,
            "instructions": .string(configuration.instructions),
        ]
    }

    func setLevel(_ request: MCPRequest, _ context: Context) throws -> [String: Value] {
        let levels = LogLevel.allCases.map(\.rawValue)
        let text = try Self.string(request, "level", "one of \(levels.joined(separator: ", "))")
        guard let level = LogLevel(rawValue: text) else {
            throw MCPError.invalidParams("\"level\" of logging/setLevel must be one of \(levels.joined(separator: ", ")), got \(Value.string(text).shortDescription)")
        }
        context.connection?.threshold.set(level)
        return [:]
    }

    func discover() -> [String: Value] {
        var capabilities = Self.capabilities.objectValue ?? [:]
        capabilities["extensions"] = [.init(stringLiteral: ModernProtocol.tasksExtension): [:]]
        return [
            "supportedVersions": .array(ModernProtocol.servedVersions.map { .string($0) }),
            "capabilities": .object(capabilities),
            "instructions": .string(configuration.instructions + " With the tasks extension, start (and a run that outlasts its wait) returns a task: poll tasks/get."),
        ]
    }

    /// Opens the dispatcher's side of a 2025-11-25 connection: its resource subscriptions
    /// and, with `--backup`, its backup notices. `connection.close()` ends both.
    func open(_ connection: MCPConnection) async {
        let notices = connection.notices
        let subscriptions = ResourceSubscriptions(watcher: service.watcher, target: subscriptionTarget) { uri in
            await notices.notify("notifications/resources/updated", ["uri": .string(uri)])
        }
        let backups = configuration.backups
        let listener = await backups?.addListener { notice in
            let level: LogLevel = notice.type == "backup_skipped" ? .warning : .notice
            guard connection.threshold.allows(level), let data = try? Value(encoding: notice) else { return }
            await notices.notify("notifications/message", ["level": .string(level.rawValue), "logger": "spool", "data": data])
        }
        connection.attach(subscriptions: subscriptions) {
            await subscriptions.cancelAll()
            if let listener { await backups?.removeListener(listener) }
        }
    }
}
