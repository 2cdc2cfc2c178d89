import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Spool

/// `--http`: MCP over Streamable HTTP at `/mcp`, plus `/events`, `/health`, `/metrics` and
/// the dashboard's `/api/`,
/// run as a ServiceGroup so SIGTERM and SIGINT shut it down gracefully: MCP sessions and
/// event streams end first, then the server lets its connections finish.
struct HTTPFrontend {
    let bind: BindTarget
    let token: String?
    let allowedOrigins: [String]
    let corsOrigin: String?
    let sessionIdle: Double
    let limits: HTTPLimits
    /// `--retain`: a task's time to live after its job ends.
    let retain: Double
    let layout: SpoolLayout
    let configuration: ServerConfiguration
    let background: @Sendable () async -> Void
    let logger: Logger

    func run() async throws {
        let metrics = SpoolMetrics.bootstrap()
        let bell = EventBell()
        let recorder = EventRecorder(layout: layout, watcher: configuration.service.watcher, order: configuration.service.order, metrics: metrics, logger: logger)
        var configuration = self.configuration
        let followers = configuration.roots.isEmpty ? nil : FileFollowers(roots: configuration.roots, watcher: configuration.service.watcher, logger: logger) { events in
            await recorder.emit(events)
        }
        configuration.followers = followers
        _ = await configuration.backups?.addListener { notice in await recorder.emit([SpoolEvent(notice)]) }
        let dispatcher = MCPDispatcher(configuration: configuration, retain: retain)
        let sessions = MCPSessions(dispatcher: dispatcher, idleLimit: .seconds(sessionIdle), logger: logger)

        let router = Router(context: SpoolRequestContext.self)
        router.add(middleware: AccessGuard(token: token, allowedOrigins: Set(allowedOrigins + [corsOrigin].compactMap { $0 }),
                                           loopbackOnly: bind.isLoopback))
        if let corsOrigin {
            router.add(middleware: CORSMiddleware(
                allowOrigin: CORSMiddleware<SpoolRequestContext>.AllowOriginExtended.oneOf(corsOrigin),
                allowHeaders: [.contentType, .authorization, .accept, HTTPField.Name("Mcp-Session-Id")!, HTTPField.Name("MCP-Protocol-Version")!, HTTPField.Name("Last-Event-ID")!,
                               HTTPField.Name("Mcp-Method")!, HTTPField.Name("Mcp-Name")!],
                allowMethods: [.get, .post, .delete, .options],
                exposedHeaders: ["Mcp-Session-Id"]))
        }
        let modern = ModernHTTP(dispatcher: dispatcher, keepAlive: configuration.progressKeepAlive)
        MCPRoute.register(on: router, sessions: sessions, modern: modern, token: token != nil, bodyTimeout: .seconds(limits.bodyTimeout), stallTimeout: .seconds(limits.stallTimeout))
        EventsRoute.register(on: router, layout: layout, bell: bell, metrics: metrics, stallTimeout: .seconds(limits.stallTimeout),
                             roots: configuration.roots, followers: followers)
        StatusRoutes.register(on: router, layout: layout, policy: configuration.service.policy, metrics: metrics, sessions: sessions)
        DashboardAPI(dispatcher: dispatcher, token: token != nil, bodyTimeout: .seconds(limits.bodyTimeout)).register(on: router)
        DashboardPage.register(on: router, token: token != nil)

        let logger = self.logger
        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [AbsoluteFormTarget.Installer()],
                                                idleTimeout: .milliseconds(Int64(limits.headerTimeout * 1000)))),
            configuration: .init(address: .hostname(bind.host, port: bind.port), serverName: "spool-mcp",
                                 availableConnectionsDelegate: ConnectionCap(limit: limits.maxConnections, logger: logger)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                // Tests and scripts read this line to learn the port chosen for :0.
                FileHandle.standardError.write(Data("spool-mcp: serving http://\(bind.urlHost):\(port)/mcp\n".utf8))
                logger.info("listening on \(bind.urlHost):\(port)")
            },
            logger: quietHummingbirdLogger())
        let spoolService = SpoolBackground(background: background, recorder: recorder, bell: bell, sessions: sessions, layout: layout,
                                           watcher: configuration.service.watcher, followers: followers)
        // Shut down in reverse order: our streams end first, then the server drains.
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: spoolService, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }

    private func quietHummingbirdLogger() -> Logger {
        var logger = Logger(label: "spool-mcp.http")
        logger.logLevel = .warning
        return logger
    }
}

/// Where `--http` listens.
struct BindTarget: Sendable {
    var host: String
    var port: Int

    /// Parses `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (loopback).
    init(parsing text: String) throws(BindError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw .invalid(text)
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "127.0.0.1" : host
        self.port = port
    }

    var isLoopback: Bool { LoopbackName.isLoopback(bareHost: host) }
    var urlHost: String { host.contains(":") ? "[\(host)]" : host }

    enum BindError: Error, CustomStringConvertible {
        case invalid(String)
        var description: String {
            switch self {
            case .invalid(let text): "--http \(text.prefix(100)) is not HOST:PORT (for example 127.0.0.1:8765, or 127.0.0.1:0 for any free port)"
            }
        }
    }
}

/// The spool side of HTTP mode, as one service: workers, the event recorder, the bell,
/// liveness sweeps and MCP session expiry. On graceful shutdown it ends the MCP sessions
/// and event streams, so the HTTP server's connections can finish.
struct SpoolBackground: Service {
    let background: @Sendable () async -> Void
    let recorder: EventRecorder
    let bell: EventBell
    let sessions: MCPSessions
    let layout: SpoolLayout
    let watcher: SpoolWatcher
    let followers: FileFollowers?

    func run() async throws {
        // Streams end first, so the HTTP server can drain while workers stop.
        let bell = self.bell, sessions = self.sessions
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown {
                await runParts()
            }
        } onGracefulShutdown: {
            bell.close()
            Task { await sessions.closeAll() }
        }
        bell.close()
        await sessions.closeAll()
    }

    private func runParts() async {
        await withTaskGroup(of: Void.self) { group in
                group.addTask { await background() }
                group.addTask { await recorder.run() }
                if let followers {
                    group.addTask {
                        await recorder.untilRecording()
                        await followers.run(history: EventJournal.readAll(layout))
                    }
                }
                group.addTask { await bell.run(layout: layout, watcher: watcher) }
                group.addTask {
                    while !Task.isCancelled {
                        await Pause.for(.seconds(5))
                        await sessions.expireIdle()
                    }
                }
                // Each part runs until the graceful shutdown cancels it.
                await group.waitForAll()
        }
    }
}
