/// What a terminal job is doing (DESIGN.md, "Terminals"), decided from kernel facts
/// (`TerminalFacts`), never from the text on the screen.
public enum TerminalState: String, Sendable, Codable, CaseIterable {
    case busy
    /// A process of the terminal's foreground group is blocked reading the terminal.
    case awaitingInput = "awaiting_input"
    /// The same, in line mode with echo off (`read -s`, `getpass`).
    case passwordPrompt = "password_prompt"
    case exited

    /// The decision. `ended`: the job has its final state.
    ///
    /// Waiting means: no process of the foreground group runs (state R) or sleeps
    /// uninterruptibly (D), and at least one is blocked in a read of the terminal, or in
    /// poll/select/epoll with the terminal as its standard input (readline, vi, node). A
    /// readline prompt turns echo off too but leaves line mode, so only a line-mode read
    /// with echo off is a password prompt.
    public static func decide(_ facts: TerminalFacts?, ended: Bool) -> TerminalState {
        if ended { return .exited }
        guard let facts, !facts.foreground.isEmpty else { return .busy }
        if facts.foreground.contains(where: { $0.isActive }) { return .busy }
        guard facts.foreground.contains(where: { $0.wait == .terminalRead || $0.wait == .pollWithTerminal }) else { return .busy }
        return facts.canonical && !facts.echo ? .passwordPrompt : .awaitingInput
    }
}

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
