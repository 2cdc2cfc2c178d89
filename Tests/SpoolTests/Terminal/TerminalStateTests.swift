import Spool
import Testing

/// `TerminalState.decide`: every combination of what the kernel can say.
@Suite("a terminal's state, decided from kernel facts")
struct TerminalStateTests {
    typealias Member = TerminalFacts.Member

    static func facts(_ members: [Member], echo: Bool = true, canonical: Bool = true) -> TerminalFacts {
        TerminalFacts(foreground: members, echo: echo, canonical: canonical)
    }

    @Test("an ended job is exited, whatever the facts")
    func exited() {
        #expect(TerminalState.decide(nil, ended: true) == .exited)
        #expect(TerminalState.decide(Self.facts([.init(pid: 2, state: "S", wait: .terminalRead)]), ended: true) == .exited)
    }

    @Test("table: foreground processes × terminal modes")
    func table() {
        let reading = Member(pid: 2, state: "S", wait: .terminalRead)
        let polling = Member(pid: 3, state: "S", wait: .pollWithTerminal)
        let waitingForChild = Member(pid: 4, state: "S", wait: .elsewhere)
        let running = Member(pid: 5, state: "R", wait: .elsewhere)
        let disk = Member(pid: 6, state: "D", wait: .elsewhere)
        let stopped = Member(pid: 7, state: "T", wait: .elsewhere)
        let cases: [([Member], Bool, Bool, TerminalState)] = [
            // a line read (cat, read): echo on, line mode
            ([reading], true, true, .awaitingInput),
            // read -s, getpass: line mode, echo off
            ([reading], false, true, .passwordPrompt),
            // readline, vi, less: raw mode, echo off (theirs, not a password)
            ([reading], false, false, .awaitingInput),
            ([polling], false, false, .awaitingInput),
            ([polling], true, true, .awaitingInput),
            // sh waiting for its child that reads: still waiting for the person
            ([waitingForChild, reading], true, true, .awaitingInput),
            // a process that runs is busy, even beside one that reads
            ([reading, running], true, true, .busy),
            ([reading, disk], false, true, .busy),
            // sleep, a child that computes in another group: nobody reads the terminal
            ([waitingForChild], true, true, .busy),
            ([stopped], true, true, .busy),
            ([], true, true, .busy),
        ]
        for (members, echo, canonical, expected) in cases {
            #expect(TerminalState.decide(Self.facts(members, echo: echo, canonical: canonical), ended: false) == expected,
                    "\(members) echo \(echo) canonical \(canonical)")
        }
    }

    @Test("no facts (the terminal is not there to read) is busy while the job runs")
    func noFacts() {
        #expect(TerminalState.decide(nil, ended: false) == .busy)
    }
}
