import Foundation
import MCPWire
import Spool

/// `spool://jobs/<id>/screen`: a terminal job's screen as text (DESIGN.md, "Terminals"),
/// as the `screen` tool computes it but without waiting for quiet; subscribers hear of
/// every change of the job's output, and once more when the job ends.
struct ScreenResources: Sendable {
    let service: JobService

    static let template = Resource.Template(
        uriTemplate: "spool://jobs/{job}/screen", name: "job-screen", title: "A terminal job's screen",
        description: "What a job started with tty: true shows on its terminal now, as text (subscribe for updates while it runs).",
        mimeType: "text/plain")

    static func uri(_ id: JobID) -> String { "spool://jobs/\(id)/screen" }

    static func parse(_ uri: String) throws(MCPError) -> JobID {
        guard let url = URLComponents(string: uri), url.scheme == "spool", url.host == "jobs", url.query == nil else {
            throw .invalidParams("'\(uri.prefix(200))' is not a screen resource: use spool://jobs/<job id>/screen")
        }
        let parts = url.path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].isEmpty, parts[2] == "screen", let id = JobID(String(parts[1])) else {
            throw .invalidParams("'\(uri.prefix(200))' does not name a job's screen: use spool://jobs/<job id>/screen with the id start returned")
        }
        return id
    }

    func read(_ uri: String) async throws(MCPError) -> ReadResourceResult {
        let id = try Self.parse(uri)
        let terminal: JobService.TerminalJob
        do {
            terminal = try await service.terminalJob(id, tool: "resources/read", deadline: .now)
        } catch {
            throw .resourceNotFound(error.description, uri: uri)
        }
        let look: TerminalScreens.Look
        do {
            look = try await service.screens.look(id, initial: terminal.initial, through: service.records.outputSize(id, .stdout), answer: false)
        } catch { throw .internalError("\(error)") }
        let state = service.terminalState(terminal.snapshot.status) ?? .busy
        let meta: [String: Value] = [
            "state": .string(state.rawValue), "offset": .int(Int(look.offset)),
            "cursor": ["row": .int(look.screen.cursor.row), "col": .int(look.screen.cursor.col)],
            "title": .string(look.screen.title),
        ]
        return ReadResourceResult(uri: uri, mimeType: "text/plain", body: .text(look.screen.text), meta: meta)
    }

    /// The job's output file, until the job ends.
    func subscription(_ uri: String) throws(MCPError) -> ResourceSubscriptions.Target {
        OutputResources.following(try Self.parse(uri), .stdout, service: service)
    }
}
