import Foundation
import Logging
import MCPWire
import Spool

/// The 2025-11-25 sessions of the HTTP endpoint, by `Mcp-Session-Id`. Sessions idle
/// longer than `idleLimit` expire; shutdown ends them all.
actor MCPSessions {
    private var sessions: [String: HandshakeSession] = [:]
    private let dispatcher: MCPDispatcher
    private let idleLimit: Duration
    private let logger: Logger
    private var closing = false

    init(dispatcher: MCPDispatcher, idleLimit: Duration, logger: Logger) {
        self.dispatcher = dispatcher
        self.idleLimit = idleLimit
        self.logger = logger
    }

    var count: Int { sessions.count }

    func handle(_ exchange: HTTPExchange, origin: AuditClient) async -> HTTPAnswer {
        if let id = exchange.header("mcp-session-id") {
            guard let session = sessions[id] else {
                return .error(404, .invalidRequest("Not Found: no session \(id.prefix(80)) (it ended or expired); send a new initialize request without Mcp-Session-Id"))
            }
            let answer = await session.handle(exchange)
            if await session.isTerminated { await end(id) }
            return answer
        }
        let noSession = HTTPAnswer.error(400, .invalidRequest("Bad Request: missing Mcp-Session-Id header; start with an initialize request"))
        guard exchange.method == "POST", let body = exchange.body else { return noSession }
        guard let message = try? JSONParser.parse(body) else {
            return .error(400, .parseError("the body is not valid JSON (POST one JSON-RPC message, UTF-8)"))
        }
        // JSON that is no message (a batch, a string, a number) is an invalid request, as
        // JSON-RPC says; only what is not JSON at all is a parse error.
        if case .reply(let code, let text, let id) = JSONRPCVetting.vet(message) {
            return .json(status: 400, headers: [:], JSONRPCVetting.errorResponse(code: code, message: text, id: id))
        }
        guard case .request(_, "initialize", _)? = JSONRPCMessage(message) else { return noSession }
        guard !closing else {
            return .error(503, .internalError("spool-mcp is shutting down"))
        }
        let id = UUID().uuidString.lowercased()
        let session = HandshakeSession(id: id, dispatcher: dispatcher, origin: origin, logger: logger)
        await dispatcher.open(session.connection)
        let answer = await session.handle(exchange)
        if answer.status == 200, session.connection.version != nil {
            sessions[id] = session
            logger.info("MCP session \(id) opened")
        } else {
            await session.terminate()
            await session.connection.close()
        }
        return answer
    }

    private func end(_ id: String) async {
        guard let session = sessions.removeValue(forKey: id) else { return }
        await session.connection.close()
        logger.info("MCP session \(id) ended")
    }

    /// Ends sessions with no request for `idleLimit` and no open stream.
    func expireIdle() async {
        for (id, session) in sessions {
            let idle = ContinuousClock.now - (await session.lastActivity)
            if idle > idleLimit, !(await session.hasOpenStreams) {
                logger.info("MCP session \(id) expired after \(idle) without requests")
                await session.terminate()
                await end(id)
            }
        }
    }

    /// Ends every session (graceful shutdown): their streams close, so connections finish.
    func closeAll() async {
        closing = true
        for id in Array(sessions.keys) {
            await sessions[id]?.terminate()
            await end(id)
        }
    }
}
