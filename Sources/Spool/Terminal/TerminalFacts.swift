/// The kernel's view of a job's terminal at one moment (`TerminalProbe` reads it).
public struct TerminalFacts: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var pid: Int32
        /// `/proc/<pid>/stat`'s state letter: R running, S sleeping, D disk sleep, T stopped, Z zombie.
        public var state: Character
        public var wait: Wait

        public init(pid: Int32, state: Character, wait: Wait) {
            self.pid = pid
            self.state = state
            self.wait = wait
        }

        var isActive: Bool { state == "R" || state == "D" }
    }

    /// Where a sleeping process waits.
    public enum Wait: Sendable, Equatable {
        /// In read(2) on the terminal.
        case terminalRead
        /// In poll, select or epoll, with the terminal on its standard input.
        case pollWithTerminal
        /// Anywhere else (a child, a timer, a socket, a pipe).
        case elsewhere
    }

    /// The processes of the terminal's foreground process group.
    public var foreground: [Member]
    /// The terminal's line modes (termios `ECHO` and `ICANON`).
    public var echo: Bool
    public var canonical: Bool

    public init(foreground: [Member], echo: Bool, canonical: Bool) {
        self.foreground = foreground
        self.echo = echo
        self.canonical = canonical
    }
}
