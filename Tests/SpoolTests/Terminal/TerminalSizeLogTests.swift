import Foundation
import Spool
import Testing

@Suite("tty.size and terminal sizes")
struct TerminalSizeLogTests {
    @Test("appended changes read back in order; lines that do not parse are skipped")
    func roundTrip() throws {
        let root = NSTemporaryDirectory() + "spool-tty-\(UUID().uuidString)"
        let layout = SpoolLayout(root: root)
        try layout.create()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let id = JobID.make()
        try FileSystem.makeDirectory(layout.job(id))
        let log = TerminalSizeLog(layout: layout, job: id)
        #expect(log.changes().isEmpty)
        try log.append(.init(offset: 0, size: .init(cols: 80, rows: 24)))
        let handle = try #require(FileHandle(forWritingAtPath: layout.job(id, .terminalSizes)))
        handle.seekToEndOfFile()
        handle.write(Data("garbage\n12 0 5\n".utf8))
        try handle.close()
        try log.append(.init(offset: 1234, size: .init(cols: 100, rows: 30)))
        #expect(log.changes() == [.init(offset: 0, size: .init(cols: 80, rows: 24)), .init(offset: 1234, size: .init(cols: 100, rows: 30))])
    }

    @Test("requests: a terminal's size needs tty, fits 1…1000, and a terminal takes no stdin string or session")
    func requestProblems() {
        var request = JobRequest(command: "python3", priority: .async)
        request.tty = true
        #expect(request.terminal == .standard && request.problem == nil && request.stdinIsPipe)
        request.cols = 0
        #expect(request.requestProblem == .badTerminalSize)
        request.cols = 80
        request.rows = 24
        #expect(request.terminal == TerminalSize(cols: 80, rows: 24) && request.problem == nil)
        request.stdin = "hello"
        #expect(request.requestProblem == .inputOnTerminal)
        request.stdin = nil
        request.session = SessionID(JobID.make().rawValue)
        #expect(request.requestProblem == .terminalInSession)
        var plain = JobRequest(command: "ls", priority: .async)
        plain.cols = 80
        #expect(plain.requestProblem == .sizeWithoutTerminal)
        #expect(!plain.stdinIsPipe && plain.terminal == nil)
    }

    @Test("device numbers: tty_nr and st_rdev encodings agree")
    func deviceNumbers() {
        // /dev/pts/3 is 136:3; /dev/pts/300 is 137:44.
        #expect(DeviceNumber(ttyNumber: 136 << 8 | 3) == DeviceNumber(major: 136, minor: 3))
        #expect(DeviceNumber(UInt64(136 << 8 | 3)) == DeviceNumber(major: 136, minor: 3))
        #expect(DeviceNumber(ttyNumber: 137 << 8 | 44) == DeviceNumber(major: 137, minor: 44))
        #expect(DeviceNumber(ttyNumber: UInt32(1 << 20 | 136 << 8 | 7)) == DeviceNumber(major: 136, minor: 263))
        #expect(DeviceNumber(UInt64(1 << 20 | 136 << 8 | 7)) == DeviceNumber(major: 136, minor: 263))
    }
}
