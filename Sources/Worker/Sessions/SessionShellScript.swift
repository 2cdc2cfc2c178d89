import Foundation
import Spool

/// The lines the worker writes to a session's shell, as pure text (no prompt scraping):
/// restoring the saved state in a new shell, and running one command so that its output
/// goes to the job's files and its exit status to `jobs/<id>/exit.code`, which the worker
/// learns of from that file's close event, never from anything the command can print.
struct SessionShellScript: Sendable {
    let layout: SpoolLayout
    let session: SessionID
    /// bash also saves functions (`declare -f`).
    let isBash: Bool

    /// Restores the saved state: with `restoring`, exactly the exported variables and
    /// functions the session had; always its working folder.
    func prelude(restoring: Bool) -> String {
        let env = layout.session(session, .env), functions = layout.session(session, .functions), cwd = layout.session(session, .cwd)
        var lines: [String] = []
        if restoring {
            lines.append(". \(Self.quote(env)) 2>/dev/null")
            lines.append("[ -f \(Self.quote(functions)) ] && . \(Self.quote(functions)) 2>/dev/null")
        }
        lines.append("if [ -f \(Self.quote(cwd)) ]; then IFS= read -r __spool_cwd < \(Self.quote(cwd)); cd -- \"$__spool_cwd\" 2>/dev/null; unset __spool_cwd; fi")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Sources `jobs/<job>/command.sh` with the job's stdin/stdout/stderr, then saves `pwd`,
    /// `export -p` (and functions) as `*.next` files and writes `$?` to `exit.code`.
    func run(_ job: JobID, hasInput: Bool) -> String {
        let q = Self.quote
        let directory = layout.session(session)
        let input = hasInput ? layout.job(job, .stdin) : "/dev/null"
        var line = ". \(q(layout.job(job, .command))) <\(q(input)) >>\(q(layout.job(job, .stdout))) 2>>\(q(layout.job(job, .stderr)))"
        line += "; __spool_rc=$?; { pwd >\(q(directory + "/cwd.next")); export -p >\(q(directory + "/env.sh.next"))"
        if isBash { line += "; declare -f >\(q(directory + "/functions.sh.next"))" }
        line += "; } 2>/dev/null; printf '%s\\n' \"$__spool_rc\" >\(q(layout.job(job, .exitCode)))\n"
        return line
    }

    /// Ends the shell after the line it is running.
    static let exit = "exit 0\n"

    /// Single-quotes `text` for sh.
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
