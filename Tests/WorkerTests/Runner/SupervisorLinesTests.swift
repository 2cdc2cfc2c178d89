import Spool
import Testing
@testable import Worker

@Suite("SupervisorLines")
struct SupervisorLinesTests {
    static let record = #"{"pid":41,"exitCode":7,"signal":null,"timedOut":false,"cancelled":false,"startedAtNs":1,"finishedAtNs":2,"stdoutDropped":0,"stderrDropped":3}"#

    @Test("the start, then the hand-over, however the bytes are cut")
    func startThenRecord() {
        let text = Array("41 42\nexit \(Self.record)\n".utf8)
        var expected = SupervisorExit(pid: 41, exitCode: 7, signal: nil, timedOut: false, cancelled: false,
                                      startedAtNs: 1, finishedAtNs: 2, stdoutDropped: 0, stderrDropped: 3)
        expected.failure = nil
        for cut in [1, 3, 6, 7, 20, text.count - 1] {
            var lines = SupervisorLines()
            let messages = lines.feed(Array(text[..<cut])) + lines.feed(Array(text[cut...]))
            #expect(messages == [.started(pid: 41, keeperPid: 42), .ended(expected)], "cut at \(cut)")
        }
    }

    @Test("nothing before a line's end")
    func partial() {
        var lines = SupervisorLines()
        #expect(lines.feed(Array("41 4".utf8)).isEmpty)
        #expect(lines.feed(Array("2".utf8)).isEmpty)
        #expect(lines.feed(Array("\n".utf8)) == [.started(pid: 41, keeperPid: 42)])
    }

    @Test("a start with the command's pid alone")
    func pidAlone() {
        var lines = SupervisorLines()
        #expect(lines.feed(Array("41\n".utf8)) == [.started(pid: 41, keeperPid: nil)])
    }

    @Test("lines that are neither are unreadable, never a start or an end",
          arguments: ["", "x 42", "0 42", "-1 2", "41 42 43", "exit", "exit {", "exit {\"pid\":1}", "exits {}", " 41 42"])
    func unreadable(line: String) {
        var lines = SupervisorLines()
        let messages = lines.feed(Array((line + "\n").utf8))
        #expect(messages.count == 1)
        if case .unreadable = messages.first {} else { Issue.record("\(line.debugDescription) read as \(messages)") }
    }
}
