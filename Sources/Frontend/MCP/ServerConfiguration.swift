import Foundation
import Spool

/// What every MCP request is served with, whatever its revision and transport: the spool,
/// the tools' settings and the optional parts (`--watch`, `--backup`).
struct ServerConfiguration: Sendable {
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

    static let baseInstructions = "Runs shell commands through a crash-safe file queue. Use run for commands that finish quickly; start + wait/output for long ones; session_start for a persistent shell; start with tty: true for programs that want a terminal (REPLs, prompts, pagers), then send_input (data, keys) and screen, whose state says when it waits for input. Job output is also readable as resources spool://jobs/<id>/stdout and .../stderr. With --watch, file_tail/file_read read logs your commands did not write (resources spool://files/<absolute path>); with --backup, backup_list/backup_diff/backup_restore undo changes to the work tree."

    var files: FileResources? { roots.isEmpty ? nil : FileResources(roots: roots, followers: followers) }
    var backupResource: BackupResource? { backups.map(BackupResource.init) }
}

/// Which family of resources a URI names, from its parsed host (`spool://files/...`).
enum ResourceKind: Equatable {
    case job, screen, file, session, backups, unknown

    static func of(_ uri: String) -> ResourceKind {
        guard let url = URLComponents(string: uri), url.scheme == "spool" else { return .unknown }
        switch url.host {
        case "files": return .file
        case "jobs": return url.path.hasSuffix("/screen") ? .screen : .job
        case "sessions": return .session
        case "backups": return url.path.isEmpty && url.query == nil ? .backups : .unknown
        default: return .unknown
        }
    }
}
