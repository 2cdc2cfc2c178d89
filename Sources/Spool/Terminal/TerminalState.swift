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
