import Spool
import Testing

@Suite("send_input's key names")
struct TerminalKeysTests {
    @Test("named keys are what an xterm sends")
    func named() throws {
        #expect(try TerminalKeys.bytes("Enter") == [13])
        #expect(try TerminalKeys.bytes("Tab") == [9])
        #expect(try TerminalKeys.bytes("Backspace") == [0x7F])
        #expect(try TerminalKeys.bytes("Up") == Array("\u{1B}[A".utf8))
        #expect(try TerminalKeys.bytes("PageDown") == Array("\u{1B}[6~".utf8))
        #expect(try TerminalKeys.bytes("F1") == Array("\u{1B}OP".utf8))
        #expect(try TerminalKeys.bytes("F12") == Array("\u{1B}[24~".utf8))
    }

    @Test("Ctrl-A…Ctrl-Z are 1…26 in either case, Ctrl-\\ is 28, Alt-x is Escape then x")
    func modifiers() throws {
        #expect(try TerminalKeys.bytes("Ctrl-A") == [1])
        #expect(try TerminalKeys.bytes("Ctrl-c") == [3])
        #expect(try TerminalKeys.bytes("Ctrl-Z") == [26])
        #expect(try TerminalKeys.bytes("Ctrl-\\") == [28])
        #expect(try TerminalKeys.bytes("Alt-b") == [0x1B, UInt8(ascii: "b")])
        #expect(try TerminalKeys.bytes("Alt-é") == [0x1B] + Array("é".utf8))
    }

    @Test("an unknown name anywhere refuses the whole list, and the error lists the valid names")
    func unknown() {
        for name in ["enter", "Ctrl-1", "Ctrl-", "Alt-", "Alt-ab", "F13", "Shift-Tab", "", "Ctrl-AB"] {
            #expect(throws: TerminalKeys.UnknownKey.self, "\(name)") { try TerminalKeys.bytes(["Enter", name]) }
        }
        do {
            _ = try TerminalKeys.bytes(["Enter", "Bogus"])
        } catch {
            #expect(error.description.contains("'Bogus'") && error.description.contains("PageDown") && error.description.contains("Ctrl-A"))
        }
    }

    @Test("keys in order")
    func sequence() throws {
        #expect(try TerminalKeys.bytes(["Escape", "Enter", "Ctrl-D"]) == [0x1B, 13, 4])
    }
}
