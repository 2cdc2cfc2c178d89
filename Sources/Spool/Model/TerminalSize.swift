/// The size of a job's terminal (DESIGN.md, "Terminals"): `cols` × `rows` characters.
public struct TerminalSize: Sendable, Equatable, Hashable, Codable {
    public var cols: Int
    public var rows: Int

    public init(cols: Int, rows: Int) {
        self.cols = cols
        self.rows = rows
    }

    /// DESIGN.md's default, 120 × 40.
    public static let standard = TerminalSize(cols: 120, rows: 40)
    /// Each side's bounds: a terminal is at least one cell, and no emulator needs more.
    public static let range = 1...1000

    public var isValid: Bool { Self.range.contains(cols) && Self.range.contains(rows) }

    /// How the worker names it to spool-supervisor (its stdin mode, `tty:COLSxROWS`).
    public var supervisorMode: String { "tty:\(cols)x\(rows)" }
}
