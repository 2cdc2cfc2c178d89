import MCPWire
import Spool

/// One request, whichever revision it came in, with what the dispatcher needs to know of
/// its sender: the envelope's fields for 2026-07-28, the connection's for 2025-11-25.
struct MCPRequest: Sendable {
    var id: RequestID
    var method: String
    var params: [String: Value]
    var revision: Revision
    /// 2026-07-28: the client's per-request capabilities (`io.modelcontextprotocol/clientCapabilities`).
    var capabilities: [String: Value] = [:]
    /// 2026-07-28: `io.modelcontextprotocol/logLevel`; without it no `notifications/message`
    /// may be sent for this request.
    var logLevel: String?
    /// `io.modelcontextprotocol/clientInfo`'s name and version, when the request has one.
    var clientName: String?
    var clientVersion: String?
    /// How the request came (set by the transport; stdio unless the HTTP route says otherwise).
    var origin = AuditClient(transport: .stdio)

    /// Who asked, for the audit log (2026-07-28; a 2025-11-25 connection keeps its own).
    var client: AuditClient {
        var client = origin
        client.name = clientName
        client.version = clientVersion
        client.revision = revision.version
        return client
    }

    var progressToken: ProgressToken? {
        params["_meta"]?["progressToken"].flatMap(ProgressToken.init)
    }

    /// The request declared the tasks extension, so it may be answered with a task.
    var acceptsTasks: Bool {
        guard revision == .envelope, case .object(let extensions)? = capabilities["extensions"] else { return false }
        return extensions[ModernProtocol.tasksExtension] != nil
    }
}
