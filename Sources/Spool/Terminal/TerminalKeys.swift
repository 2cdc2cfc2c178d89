/// The key names `send_input` takes (DESIGN.md, "Terminals") and the bytes an xterm sends
/// for each: what a person's keyboard would type into the job's terminal.
public enum TerminalKeys {
    /// A key name that is not one of DESIGN.md's.
    public struct UnknownKey: Error, Sendable, Equatable, CustomStringConvertible {
        public let name: String
        public var description: String {
            "unknown key name '\(name.prefix(40))'; valid names: \(TerminalKeys.validNames)"
        }
    }

    /// The named keys without modifiers. Arrows and Home/End are sent in the cursor-key
    /// mode a shell or REPL expects (CSI); full-screen programs (less, vi) accept them too.
    static let named: [String: [UInt8]] = {
        var keys: [String: String] = [
            "Enter": "\r", "Tab": "\t", "Escape": "\u{1B}", "Backspace": "\u{7F}", "Delete": "\u{1B}[3~",
            "Up": "\u{1B}[A", "Down": "\u{1B}[B", "Right": "\u{1B}[C", "Left": "\u{1B}[D",
            "Home": "\u{1B}[H", "End": "\u{1B}[F", "PageUp": "\u{1B}[5~", "PageDown": "\u{1B}[6~",
            "F1": "\u{1B}OP", "F2": "\u{1B}OQ", "F3": "\u{1B}OR", "F4": "\u{1B}OS",
            "F5": "\u{1B}[15~", "F6": "\u{1B}[17~", "F7": "\u{1B}[18~", "F8": "\u{1B}[19~",
            "F9": "\u{1B}[20~", "F10": "\u{1B}[21~", "F11": "\u{1B}[23~", "F12": "\u{1B}[24~",
            "Ctrl-\\": "\u{1C}",
        ]
        for (offset, letter) in "ABCDEFGHIJKLMNOPQRSTUVWXYZ".enumerated() {
            keys["Ctrl-\(letter)"] = String(UnicodeScalar(UInt8(offset + 1)))
        }
        return keys.mapValues { Array($0.utf8) }
    }()

    public static let validNames = "Enter, Tab, Escape, Backspace, Delete, Up, Down, Left, Right, Home, End, PageUp, PageDown, F1…F12, Ctrl-A…Ctrl-Z, Ctrl-\\, Alt-<one character>"

    /// The bytes of one key. `Ctrl-a` is `Ctrl-A` (a terminal cannot tell them apart);
    /// `Alt-x` is Escape then `x`, as xterm sends it by default.
    public static func bytes(_ name: String) throws(UnknownKey) -> [UInt8] {
        if let bytes = named[name] { return bytes }
        if name.hasPrefix("Ctrl-"), name.count == 6, let bytes = named["Ctrl-" + name.suffix(1).uppercased()] { return bytes }
        if name.hasPrefix("Alt-"), name.count == 5, let character = name.last, character != "\u{7F}",
           !(character.asciiValue.map { $0 < 0x20 } ?? false) {
            return [0x1B] + Array(String(character).utf8)
        }
        throw UnknownKey(name: name)
    }

    /// The bytes of `names` in order; the first unknown name throws before anything is sent.
    public static func bytes(_ names: [String]) throws(UnknownKey) -> [UInt8] {
        var all: [UInt8] = []
        for name in names { all += try bytes(name) }
        return all
    }
}
