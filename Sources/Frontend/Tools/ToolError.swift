import Spool

/// A tool call that cannot be carried out, with a message an agent can act on. Returned
/// as a tool result with `isError: true` (not a JSON-RPC error), as MCP asks.
enum ToolError: Error, CustomStringConvertible {
    case missing(tool: String, argument: String, expected: String)
    case wrongType(tool: String, argument: String, expected: String, got: String)
    case invalid(tool: String, argument: String, reason: String)
    case unknownArguments(tool: String, names: [String], known: [String])
    case spool(SpoolError)
    /// The arguments are fine but the job or session is in a state that does not allow it.
    case refused(tool: String, reason: String)
    case watched(WatchedPathError, tool: String)
    case backup(BackupError, tool: String)

    var description: String {
        switch self {
        case .missing(let tool, let argument, let expected):
            "\(tool): missing required argument '\(argument)' (\(expected))"
        case .wrongType(let tool, let argument, let expected, let got):
            "\(tool): argument '\(argument)' must be \(expected), got \(got)"
        case .invalid(let tool, let argument, let reason):
            "\(tool): argument '\(argument)' \(reason)"
        case .unknownArguments(let tool, let names, let known):
            "\(tool): unknown argument\(names.count > 1 ? "s" : "") \(names.map { "'\($0)'" }.joined(separator: ", ")); \(tool) takes \(known.joined(separator: ", "))"
        case .spool(let error):
            error.description
        case .refused(let tool, let reason):
            "\(tool): \(reason)"
        case .watched(let error, let tool):
            "\(tool): \(error)"
        case .backup(let error, let tool):
            "\(tool): \(error)"
        }
    }
}
