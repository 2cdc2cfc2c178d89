import MCPWire

/// The tools spool-mcp offers (names fixed by DESIGN.md), in the order `tools/list` gives
/// them. Dispatch switches over this enum, so a tool without a handler does not compile,
/// and each tool's accepted arguments are the properties of its schema in `ToolCatalog`.
enum ToolName: String, CaseIterable, Sendable {
    case run, start, status, output, tail, wait, list, cancel, promote
    case sendInput = "send_input"
    case screen
    case sessionStart = "session_start"
    case sessionEnd = "session_end"
    case sessionList = "session_list"
    case stats
    case fileTail = "file_tail"
    case fileRead = "file_read"
    case backupList = "backup_list"
    case backupDiff = "backup_diff"
    case backupRestore = "backup_restore"

    /// The tools that exist only with `--watch` (files) or `--backup` (backups).
    var feature: ToolFeature? {
        switch self {
        case .fileTail, .fileRead: .files
        case .backupList, .backupDiff, .backupRestore: .backups
        default: nil
        }
    }

    /// The argument names the tool's schema declares; anything else is refused by name.
    var arguments: [String] { Self.argumentsByTool[self] ?? [] }

    private static let argumentsByTool: [ToolName: [String]] = Dictionary(uniqueKeysWithValues: allCases.map { name in
        guard case .object(let schema) = ToolCatalog.definition(name).inputSchema,
              case .object(let properties)? = schema["properties"] else { return (name, []) }
        return (name, properties.keys.sorted())
    })
}

/// Optional parts of spool-mcp; their tools are listed only when they are on.
enum ToolFeature: String, Sendable {
    /// `--watch`: reading and following files.
    case files
    /// `--backup`: git backups of a work tree.
    case backups

    var flag: String { self == .files ? "--watch DIR" : "--backup DIR" }
}
