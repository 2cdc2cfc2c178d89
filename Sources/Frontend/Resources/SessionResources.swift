import Foundation
import MCPWire
import Spool

/// `spool://sessions/<id>`: a session's state as JSON (the view `session_list` gives),
/// updated whenever its record changes (opened, abandoned, closed). 2026-07-28 has no
/// unsolicited log messages, so this is how its clients hear what 2025-11-25 clients are
/// told in `session_ready` and `session_abandoned` notices.
struct SessionResources: Sendable {
    let service: JobService
    static let listLimit = 50

    static let template = Resource.Template(
        uriTemplate: "spool://sessions/{session}", name: "session", title: "A persistent session",
        description: "A session's state (queued, ready, abandoned, closed), its worker, cwd and commands; subscribe for changes.",
        mimeType: "application/json")

    static func uri(_ id: SessionID) -> String { "spool://sessions/\(id)" }

    static func parse(_ uri: String) throws(MCPError) -> SessionID {
        guard let url = URLComponents(string: uri), url.scheme == "spool", url.host == "sessions", url.query == nil else {
            throw .invalidParams("'\(uri.prefix(200))' is not a session resource: use spool://sessions/<session id>")
        }
        let parts = url.path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].isEmpty, let id = SessionID(String(parts[1])) else {
            throw .invalidParams("'\(uri.prefix(200))' does not name a session: use spool://sessions/<session id>, as session_start returned it")
        }
        return id
    }

    /// The sessions that are not closed, newest first.
    func list() -> [Resource] {
        service.sessionRecords(includingClosed: false)
            .sorted { $0.createdAt > $1.createdAt }
            .prefix(Self.listLimit)
            .map { Resource(name: "session \($0.session)", uri: Self.uri($0.session), mimeType: "application/json") }
    }

    func read(_ uri: String) throws(MCPError) -> ReadResourceResult {
        let id = try Self.parse(uri)
        guard let record = try? service.sessions.record(id) else { // unreadable counts as missing
            throw .resourceNotFound("no session \(id) in this spool (session_list shows the sessions)", uri: uri)
        }
        let view = SessionView(record, layout: service.layout, estimator: service.estimator(), order: service.order)
        let json: Value
        do { json = try Value(encoding: view) } catch { throw .internalError("\(error)") }
        return ReadResourceResult(uri: uri, mimeType: "application/json", body: .text(json.description))
    }

    /// Its record file, until the session closes.
    func subscription(_ uri: String) throws(MCPError) -> ResourceSubscriptions.Target {
        let id = try Self.parse(uri)
        let service = self.service
        guard (try? service.sessions.record(id)) != nil else {
            throw .resourceNotFound("no session \(id) in this spool", uri: uri)
        }
        return ResourceSubscriptions.Target(
            directory: service.layout.session(id), name: SessionFile.record.rawValue,
            hasEnded: { (try? service.sessions.record(id))?.state == .closed })
    }
}
