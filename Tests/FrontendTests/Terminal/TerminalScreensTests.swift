import Foundation
@testable import Frontend
import Spool
import Testing

@Suite("terminal screens: libvterm, replayed from a checkpoint")
struct TerminalScreensTests {
    @Test("the emulator draws text, moves the cursor, keeps the title and ignores queries")
    func emulator() throws {
        let emulator = try #require(TerminalEmulator(size: .init(cols: 20, rows: 5)))
        emulator.feed(Array("\u{1B}]0;title here\u{07}hello\r\nworld\u{1B}[6n\u{1B}[c\r\n\u{1B}[31mred\u{1B}[0m é".utf8)[...])
        let screen = emulator.screen()
        #expect(screen.lines == ["hello", "world", "red é", "", ""])
        #expect(screen.cursor == .init(row: 2, col: 5))
        #expect(screen.title == "title here")
        #expect(screen.text == "hello\nworld\nred é")
        emulator.feed(Array("\u{1B}[2J\u{1B}[Htop".utf8)[...])
        #expect(emulator.screen().lines.first == "top")
    }

    @Test("a look replays only what was written since the last; the result is the same as a replay from the start, at the recorded sizes")
    func checkpoint() async throws {
        let root = NSTemporaryDirectory() + "spool-screens-\(UUID().uuidString)"
        let layout = SpoolLayout(root: root)
        try layout.create()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let id = JobID.make()
        try FileSystem.makeDirectory(layout.job(id))
        let stdout = layout.job(id, .stdout)
        FileManager.default.createFile(atPath: stdout, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: stdout))
        defer { try? handle.close() }
        let screens = TerminalScreens(layout: layout)
        let size = TerminalSize(cols: 40, rows: 10)
        var written: Int64 = 0
        func write(_ text: String) throws {
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            written += Int64(text.utf8.count)
        }
        try write((1...30).map { "line \($0)" }.joined(separator: "\r\n"))
        let first = try await screens.look(id, initial: size, through: written)
        #expect(first.offset == written && first.changed)
        #expect(first.screen.lines.last == "line 30")
        let same = try await screens.look(id, initial: size, through: written)
        #expect(!same.changed)
        // A resize at this offset, then output at the new width.
        try TerminalSizeLog(layout: layout, job: id).append(.init(offset: written, size: .init(cols: 60, rows: 12)))
        try write("\r\n" + String(repeating: "x", count: 55))
        let later = try await screens.look(id, initial: size, through: written)
        #expect(later.changed && later.size == TerminalSize(cols: 60, rows: 12))
        #expect(later.screen.lines.contains(String(repeating: "x", count: 55)), "\(later.screen.lines)")
        // A fresh process (a restart) gets the same screen from the files alone.
        let fresh = try await TerminalScreens(layout: layout).look(id, initial: size, through: written)
        #expect(fresh.screen == later.screen && fresh.offset == later.offset && fresh.size == later.size)
    }
}
