import Glibc
import Spool

/// Where and how a command runs (`cwd`, `shell`, `env`), checked once for `run`, `start`
/// and `session_start`, so all three accept and refuse the same values: a relative `cwd`
/// is taken from spool-mcp's working directory, a symlink to a folder is a folder, and
/// `shell` must be an absolute path to an executable.
struct CommandSettings: Sendable, Equatable {
    var cwd: String
    var shell: String?
    var env: [String: String]?

    /// - Throws: the first `RequestProblem` found, for the tool to report against its argument.
    static func check(cwd: String?, shell: String?, env: [String: String]?, workingDirectory: String) throws(RequestProblem) -> CommandSettings {
        var path = cwd ?? workingDirectory
        if path.utf8.contains(0) { throw .nulIn(argument: "cwd") }
        if path.first != "/" { path = workingDirectory + "/" + path }
        var info = stat()
        // stat, not lstat: a symlink to a folder is a fine working folder.
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { throw .notADirectory(path) }
        if let shell {
            if shell.utf8.contains(0) { throw .nulIn(argument: "shell") }
            if shell.first != "/" { throw .relativePath(argument: "shell", path: shell) }
            guard access(shell, X_OK) == 0 else { throw .notExecutable(shell) }
        }
        if let env, let problem = JobRequest.envProblem(env) { throw problem }
        return CommandSettings(cwd: path, shell: shell, env: env)
    }
}

extension ToolError {
    /// A request problem, reported against the argument to change.
    static func problem(_ problem: RequestProblem, tool: String) -> ToolError {
        switch problem {
        case .notADirectory(let path): .invalid(tool: tool, argument: "cwd", reason: "is not an existing directory: \(path.prefix(300))")
        case .notExecutable(let path): .invalid(tool: tool, argument: "shell", reason: "is not an executable file: \(path.prefix(300))")
        default: .invalid(tool: tool, argument: problem.argument, reason: "is not usable: \(problem)")
        }
    }
}
