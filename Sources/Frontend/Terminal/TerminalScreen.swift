/// What a terminal shows at one moment (the `screen` tool's `lines`, `cursor`, `title`).
struct TerminalScreen: Sendable, Equatable, Codable {
    struct Cursor: Sendable, Equatable, Codable {
        var row: Int
        var col: Int
    }

    var lines: [String]
    var cursor: Cursor
    var title: String

    /// The screen as text: its rows, without the empty ones at the bottom.
    var text: String {
        var rows = lines[...]
        while rows.last?.isEmpty == true { rows.removeLast() }
        return rows.joined(separator: "\n")
    }
}
