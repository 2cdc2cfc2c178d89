import CVTerm
import Spool

/// A terminal emulator (libvterm) fed with a terminal job's raw output: what a person
/// would see on that terminal. libvterm is C and keeps the state of one screen; this
/// wrapper owns it and is used by one actor (`TerminalScreens`) at a time.
final class TerminalEmulator {
    private let terminal: UnsafeMutablePointer<spool_vterm>
    private(set) var size: TerminalSize

    init?(size: TerminalSize) {
        guard let terminal = spool_vterm_new(Int32(size.rows), Int32(size.cols)) else { return nil }
        self.terminal = terminal
        self.size = size
    }

    deinit { spool_vterm_free(terminal) }

    func feed(_ bytes: ArraySlice<UInt8>) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                spool_vterm_write(terminal, $0, buffer.count)
            }
        }
    }

    func resize(_ size: TerminalSize) {
        guard size != self.size else { return }
        spool_vterm_resize(terminal, Int32(size.rows), Int32(size.cols))
        self.size = size
    }

    /// The screen now: each row as text without its trailing blanks, the cursor, the title.
    func screen() -> TerminalScreen {
        var buffer = [CChar](repeating: 0, count: size.cols * 4 * 6 + 16) // up to 6 code points of 4 bytes per cell
        var lines: [String] = []
        lines.reserveCapacity(size.rows)
        for row in 0..<size.rows {
            let length = spool_vterm_row(terminal, Int32(row), &buffer, buffer.count)
            let bytes = buffer.prefix(length).map { UInt8(bitPattern: $0) }
            var line = String(decoding: bytes, as: UTF8.self)
            while line.last == " " { line.removeLast() }
            lines.append(line)
        }
        var row: Int32 = 0, col: Int32 = 0
        spool_vterm_cursor(terminal, &row, &col)
        let title = withUnsafeBytes(of: terminal.pointee.title) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return TerminalScreen(lines: lines, cursor: .init(row: Int(row), col: Int(col)), title: title)
    }
}
