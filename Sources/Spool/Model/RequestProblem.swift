/// Why a request cannot be run, as a value: the tools map it to the argument to fix,
/// workers file it as the reason of a `failed` job. One list, used by both.
public enum RequestProblem: Error, Sendable, Equatable, CustomStringConvertible {
    case emptyCommand
    case commandTooLong(bytes: Int)
    case nulInCommand
    case nulIn(argument: String)
    case badTimeout
    case badRetries
    case relativePath(argument: String, path: String)
    case badEnvName(String)
    case nulInEnvValue
    case sessionMismatch
    /// `cwd` names nothing, or something that is not a folder (symlinks to folders are folders).
    case notADirectory(String)
    /// `shell` names nothing executable.
    case notExecutable(String)
    /// `cols`/`rows` without `tty: true`.
    case sizeWithoutTerminal
    case badTerminalSize
    /// A one-shot `stdin` string with `tty: true` (a terminal's input is typed with send_input).
    case inputOnTerminal
    case terminalInSession

    /// The request field (and tool argument) to change.
    public var argument: String {
        switch self {
        case .emptyCommand, .commandTooLong, .nulInCommand, .sessionMismatch: "command"
        case .nulIn(let argument), .relativePath(let argument, _): argument
        case .badTimeout: "timeout"
        case .badRetries: "retries"
        case .badEnvName, .nulInEnvValue: "env"
        case .notADirectory: "cwd"
        case .notExecutable: "shell"
        case .sizeWithoutTerminal, .badTerminalSize: "cols"
        case .inputOnTerminal: "stdin"
        case .terminalInSession: "tty"
        }
    }

    public var description: String {
        switch self {
        case .emptyCommand: "the command is empty"
        case .commandTooLong(let bytes):
            "the command is \(bytes) bytes; the limit is \(JobRequest.maxCommandBytes) (Linux MAX_ARG_STRLEN): write long scripts to a file and run that file"
        case .nulInCommand: "the command contains a NUL byte"
        case .nulIn(let argument): "\(argument) contains a NUL byte"
        case .badTimeout: "timeout must be a positive number of seconds"
        case .badRetries: "retries must be a whole number from 0 to \(JobRequest.maxRetries)"
        case .relativePath("shell", let path): "shell must be an absolute path such as /bin/bash, got '\(path.prefix(200))'"
        case .relativePath(let argument, let path): "\(argument) must be an absolute path, got '\(path.prefix(200))'"
        case .badEnvName(let name): "env name '\(name.prefix(100))' is not a valid variable name"
        case .nulInEnvValue: "env values cannot contain NUL bytes"
        case .sessionMismatch: "a session request's session field must equal its job id"
        case .notADirectory(let path): "cwd is not an existing directory: \(path.prefix(300))"
        case .notExecutable(let path): "shell is not an executable file: \(path.prefix(300))"
        case .sizeWithoutTerminal: "cols and rows size a terminal: pass tty: true with them, or leave them out"
        case .badTerminalSize: "cols and rows must be whole numbers from \(TerminalSize.range.lowerBound) to \(TerminalSize.range.upperBound)"
        case .inputOnTerminal: "a terminal job takes its input from send_input (data and keys); leave stdin out, or drop tty to pass stdin as a string"
        case .terminalInSession: "a session command runs in the session's shell, which has no terminal; start the program without session (tty: true gives it one)"
        }
    }
}
