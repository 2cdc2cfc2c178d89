import Foundation
import Logging
import MCP
import Spool

/// The MCP sessions of the HTTP endpoint, by `Mcp-Session-Id`: each has its own transport
/// and server. Sessions idle longer than `idleLimit` expire; shutdown ends them all.
actor MCPSessions {
    private struct Entry {
        let transport: SpoolHTTPTransport
        let server: MCP.Server
        let close: @Sendable () async -> Void
    }

    private var entries: [String: Entry] = [:]
    private let factory: ServerFactory
    private let idleLimit: Duration
    private let logger: Logger
    private var closing = false

    init(factory: ServerFactory, idleLimit: Duration, logger: Logger) {
        self.factory = factory
        self.idleLimit = idleLimit
        self.logger = logger
    }

    var count: Int { entries.count }

    func handle(_ request: MCP.HTTPRequest, origin: AuditClient) async -> MCP.HTTPResponse {
        if let id = request.header(HTTPHeaderName.sessionID) {
            guard let entry = entries[id] else {
                return .error(statusCode: 404, .invalidRequest("Not Found: no session \(id.prefix(80)) (it ended or expired); send a new initialize request without Mcp-Session-Id"))
            }
            let response = await entry.transport.handle(request)
            if await entry.transport.isTerminated { await end(id) }
            return response
        }
        let noSession = MCP.HTTPResponse.error(statusCode: 400, .invalidRequest("Bad Request: missing Mcp-Session-Id header; start with an initialize request"))
        guard request.method.uppercased() == "POST", let body = request.body else { return noSession }
        guard let shape = JSONRPCShape(body) else {
            // JSON that is no message (a batch, a string, a number) is an invalid request,
            // as JSON-RPC says; only what is not JSON at all is a parse error.
            guard let message = try? PlainJSON.decode(body) else {
                return .error(statusCode: 400, .parseError("Parse error: the body is not valid JSON (POST one JSON-RPC message, UTF-8)"))
            }
            if case .reply(_, let text, _) = JSONRPCVetting.vet(message) { return .error(statusCode: 400, .invalidRequest(text)) }
            return .error(statusCode: 400, .invalidRequest("Invalid Request: not a JSON-RPC message; POST one JSON object with jsonrpc, method and id"))
        }
        guard shape.isInitialize else { return noSession }
        guard !closing else {
            return .error(statusCode: 503, .internalError("spool-mcp is shutting down"))
        }
        let id = UUID().uuidString.lowercased()
        let transport = SpoolHTTPTransport(sessionID: id, logger: logger)
        var client = origin
        client.mcpSession = id
        let identity = ClientIdentity(client)
        let (server, close) = await factory.make(client: identity)
        do {
            try await server.start(transport: transport, initializeHook: identity.hook)
        } catch {
            return .error(statusCode: 500, .internalError("cannot start an MCP session: \(error)"))
        }
        let entry = Entry(transport: transport, server: server, close: close)
        let response = await transport.handle(request)
        if response.statusCode == 200 {
            entries[id] = entry
            logger.info("MCP session \(id) opened")
        } else {
            await server.stop()
            await close()
        }
        return response
    }

    private func end(_ id: String) async {
        guard let entry = entries.removeValue(forKey: id) else { return }
        await entry.close()
        await entry.server.stop()
        logger.info("MCP session \(id) ended")
    }

    /// Ends sessions with no request for `idleLimit` and no open stream.
    func expireIdle() async {
        for (id, entry) in entries {
            let transport = entry.transport
            let idle = ContinuousClock.now - (await transport.lastActivity)
            if idle > idleLimit, !(await transport.hasOpenStreams) {
                logger.info("MCP session \(id) expired after \(idle) without requests")
                await transport.terminate()
                await end(id)
            }
        }
    }

    /// Ends every session (graceful shutdown): their streams close, so connections finish.
    func closeAll() async {
        closing = true
        for id in Array(entries.keys) {
            await entries[id]?.transport.terminate()
            await end(id)
        }
    }
}
