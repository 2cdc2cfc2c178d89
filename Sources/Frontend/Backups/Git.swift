import Foundation
import Subprocess

/// Runs the `git` program in one work tree. Backups use git's own plumbing
/// (`read-tree`, `add`, `write-tree`, `commit-tree`, `update-ref`, `checkout-index`)
/// through the program: no listed Swift library speaks git, and git's commands are the
/// ones a user can run by hand to check what Spool did.
struct Git: Sendable {
    let workTree: String
    /// `GIT_INDEX_FILE`: a private index, so the user's index is never read for writing.
    var indexFile: String?

    struct Output: Sendable {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Output beyond this is refused by the run, never cut short silently.
    static let outputLimit = 64 << 20

    func with(index: String?) -> Git { Git(workTree: workTree, indexFile: index) }

    /// Runs `git args`; a non-zero exit is returned, not thrown.
    func run(_ arguments: [String], input: [UInt8]? = nil, environment extra: [String: String] = [:]) async throws(BackupError) -> Output {
        var environment: [Environment.Key: String?] = [
            // Backups are Spool's commits, whatever the user's identity settings.
            "GIT_AUTHOR_NAME": "Spool", "GIT_AUTHOR_EMAIL": "spool@localhost",
            "GIT_COMMITTER_NAME": "Spool", "GIT_COMMITTER_EMAIL": "spool@localhost",
            // Read-only commands must not refresh (write) the user's index behind their back.
            "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C",
            "GIT_DIR": nil, "GIT_WORK_TREE": nil, "GIT_INDEX_FILE": indexFile,
        ]
        for (key, value) in extra { environment[Environment.Key(stringLiteral: key)] = value }
        do {
            // No input is an empty one: git reads stdin only when told to (`--stdin`, `-F -`).
            let result = try await Subprocess.run(
                .name("git"), arguments: Arguments(["-C", workTree, "-c", "core.quotepath=off"] + arguments),
                environment: .inherit.updating(environment), input: .array(input ?? []),
                output: .bytes(limit: Self.outputLimit), error: .bytes(limit: 1 << 20))
            let status: Int32
            switch result.terminationStatus {
            case .exited(let code): status = code
            case .signaled(let signal): status = 128 + signal
            }
            return Output(status: status, stdout: result.standardOutput, stderr: String(decoding: result.standardError, as: UTF8.self))
        } catch {
            throw .gitMissing("\(error)")
        }
    }

    /// Runs `git args` and returns its trimmed output; a non-zero exit is a `gitFailed`.
    func text(_ arguments: [String], input: [UInt8]? = nil, environment: [String: String] = [:]) async throws(BackupError) -> String {
        try await checked(arguments, input: input, environment: environment).text
    }

    func checked(_ arguments: [String], input: [UInt8]? = nil, environment: [String: String] = [:]) async throws(BackupError) -> Output {
        let output = try await run(arguments, input: input, environment: environment)
        guard output.status == 0 else {
            throw .gitFailed(command: arguments.prefix(3).joined(separator: " "), status: "exit \(output.status)",
                             message: output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return output
    }
}
