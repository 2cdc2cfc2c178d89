import Spool
import Testing
@testable import Worker

@Suite("SessionMachine")
struct SessionMachineTests {
    typealias Machine = SessionMachine<ManualClock>
    let clock = ManualClock()
    let job = JobID.make()

    /// A machine whose shell is up and idle, with a 10 s idle limit and a 2 s grace.
    func ready() -> Machine {
        var machine = Machine(clock: clock, idleLimit: .seconds(10), killGrace: .seconds(2))
        #expect(machine.beginShell(endRequested: false) == [.startShell])
        machine.shellReady()
        #expect(machine.state == .idle)
        return machine
    }

    func observe(_ machine: inout Machine, queued: JobID? = nil, end: Bool = false, cancel: Bool = false, code: Int32? = nil) -> [Machine.Action] {
        machine.observe(nextQueued: queued, endRequested: end, cancelRequested: cancel, exitCode: code)
    }

    @Test("idle: reported abandoned once at half the limit, then closed at the limit")
    func idle() {
        var machine = ready()
        clock.advance(by: .milliseconds(4900))
        #expect(observe(&machine).isEmpty)
        #expect(machine.nextWake == clock.now.advanced(by: .milliseconds(100)))
        clock.advance(by: .milliseconds(100))
        #expect(observe(&machine) == [.reportAbandoned(idleSeconds: 5)])
        #expect(observe(&machine).isEmpty)
        clock.advance(by: .seconds(5))
        #expect(observe(&machine) == [.exitShell])
        #expect(machine.shellEnded(.exited(0), exitCode: nil) == [.close(reason: "idle for 10 s (--session-idle 10)")])
        #expect(machine.isClosed)
    }

    @Test("a session that has run no command is closed after 300 s idle, not after --session-idle; one that has (or is reopened) after --session-idle")
    func unused() {
        var fresh = Machine(clock: clock, idleLimit: .seconds(3600), killGrace: .seconds(2))
        #expect(fresh.beginShell(endRequested: false) == [.startShell])
        fresh.shellReady()
        #expect(fresh.nextWake == clock.now.advanced(by: .seconds(150)))
        clock.advance(by: .seconds(150))
        #expect(observe(&fresh) == [.reportAbandoned(idleSeconds: 150)])
        clock.advance(by: .seconds(150))
        #expect(observe(&fresh) == [.exitShell])
        #expect(fresh.shellEnded(.exited(0), exitCode: nil) == [.close(reason: "no command came within 300 s of session_start (was its reply lost?); closed to free its worker slot (--session-idle applies once a session has run a command)")])

        var reopened = Machine(clock: clock, idleLimit: .seconds(3600), killGrace: .seconds(2), used: true)
        #expect(reopened.beginShell(endRequested: false) == [.startShell])
        reopened.shellReady()
        clock.advance(by: .seconds(300))
        #expect(observe(&reopened).isEmpty, "a reopened session keeps --session-idle")
        clock.advance(by: .seconds(1500))
        #expect(observe(&reopened) == [.reportAbandoned(idleSeconds: 1800)])
        clock.advance(by: .seconds(1800))
        #expect(observe(&reopened) == [.exitShell])

        var used = Machine(clock: clock, idleLimit: .seconds(3600), killGrace: .seconds(2))
        #expect(used.beginShell(endRequested: false) == [.startShell])
        used.shellReady()
        #expect(observe(&used, queued: job) == [.startCommand(job)])
        used.commandStarted(timeout: nil)
        #expect(observe(&used, code: 0) == [.record(job, .exited(code: 0), commit: true, reason: nil)])
        clock.advance(by: .seconds(301))
        #expect(observe(&used).isEmpty, "a used session keeps --session-idle")
    }

    @Test("a command resets the idle time and the abandoned report")
    func activity() {
        var machine = ready()
        clock.advance(by: .seconds(6))
        #expect(observe(&machine) == [.reportAbandoned(idleSeconds: 6)])
        #expect(observe(&machine, queued: job) == [.startCommand(job)])
        machine.commandStarted(timeout: nil)
        #expect(machine.nextWake == nil)
        #expect(observe(&machine, code: 0) == [.record(job, .exited(code: 0), commit: true, reason: nil)])
        clock.advance(by: .seconds(5))
        #expect(observe(&machine) == [.reportAbandoned(idleSeconds: 5)])
    }

    @Test("a timeout sends TERM, then KILL after the grace; the command is recorded timed out and the shell restarts")
    func timeout() {
        var machine = ready()
        _ = observe(&machine, queued: job)
        machine.commandStarted(timeout: 3)
        clock.advance(by: .seconds(2.999))
        #expect(observe(&machine).isEmpty)
        clock.advance(by: .milliseconds(1))
        #expect(observe(&machine) == [.terminateGroup])
        #expect(observe(&machine).isEmpty) // TERM once
        clock.advance(by: .seconds(1.999))
        #expect(observe(&machine).isEmpty)
        clock.advance(by: .milliseconds(1))
        #expect(observe(&machine) == [.killGroup])
        #expect(observe(&machine).isEmpty) // KILL once
        let actions = machine.shellEnded(.signalled(9), exitCode: nil)
        #expect(actions == [
            .record(job, .timedOut(code: nil, signal: 9), commit: false,
                    reason: "timed out; the session's shell was ended and restarted from its last saved state"),
            .restart(after: .signalled(9)),
        ])
        #expect(machine.state == .starting)
    }

    @Test("cancel while running: TERM; a shell that ends within the grace gets no KILL")
    func cancel() {
        var machine = ready()
        _ = observe(&machine, queued: job)
        machine.commandStarted(timeout: nil)
        #expect(observe(&machine, cancel: true) == [.terminateGroup])
        clock.advance(by: .seconds(1))
        #expect(machine.shellEnded(.signalled(15), exitCode: nil).first
                == .record(job, .cancelled(code: nil, signal: 15, started: true), commit: false,
                           reason: "cancelled while running; the session's shell was ended and restarted from its last saved state"))
    }

    @Test("cancel racing an exit: the exit status file wins, before and after the TERM")
    func cancelRacingExit() {
        var machine = ready()
        _ = observe(&machine, queued: job)
        machine.commandStarted(timeout: nil)
        #expect(observe(&machine, cancel: true, code: 4) == [.record(job, .exited(code: 4), commit: true, reason: nil)])
        #expect(machine.state == .idle)

        let second = JobID.make()
        _ = observe(&machine, queued: second)
        machine.commandStarted(timeout: nil)
        #expect(observe(&machine, cancel: true) == [.terminateGroup])
        #expect(observe(&machine, cancel: true, code: 0) == [.record(second, .exited(code: 0), commit: true, reason: nil)])
        #expect(machine.state == .idle)
    }

    @Test("`exit N` as a command ends it with N and keeps its state; the shell restarts")
    func exitN() {
        var machine = ready()
        _ = observe(&machine, queued: job)
        machine.commandStarted(timeout: nil)
        #expect(machine.shellEnded(.exited(7), exitCode: nil) == [
            .record(job, .exited(code: 7), commit: true,
                    reason: "the session's shell ended during the command (exited(7)) and was restarted from its last saved state"),
            .restart(after: .exited(7)),
        ])
    }

    @Test("a shell that keeps dying at start is given up after 5 quick deaths; a slow death resets the count")
    func quickDeaths() {
        var machine = ready()
        for _ in 0..<4 {
            #expect(machine.shellEnded(.exited(1), exitCode: nil) == [.restart(after: .exited(1))])
            #expect(machine.beginShell(endRequested: false) == [.startShell])
        }
        clock.advance(by: .seconds(3)) // this one lived long enough
        #expect(machine.shellEnded(.exited(1), exitCode: nil) == [.restart(after: .exited(1))])
        for _ in 0..<4 {
            #expect(machine.beginShell(endRequested: false) == [.startShell])
            #expect(machine.shellEnded(.exited(1), exitCode: nil) == [.restart(after: .exited(1))])
        }
        #expect(machine.beginShell(endRequested: false) == [.startShell])
        #expect(machine.shellEnded(.exited(1), exitCode: nil) == [.close(reason: "its shell keeps exiting at start (exited(1))")])
        #expect(machine.isClosed)

        var named = Machine(clock: clock, idleLimit: .seconds(10), killGrace: .seconds(2), shellLog: "/spool/sessions/x/shell.log")
        for _ in 0..<5 {
            _ = named.beginShell(endRequested: false)
            _ = named.shellEnded(.exited(1), exitCode: nil)
        }
        #expect(named.state == .closed(reason: "its shell keeps exiting at start (exited(1)); see /spool/sessions/x/shell.log"))
    }

    @Test("an end request closes an idle session and prevents a restart")
    func end() {
        var machine = ready()
        #expect(observe(&machine, queued: job, end: true) == [.exitShell])
        #expect(machine.shellEnded(.exited(0), exitCode: nil) == [.close(reason: "ended by session_end or cancel")])

        var restarted = ready()
        _ = restarted.shellEnded(.signalled(9), exitCode: nil)
        #expect(restarted.beginShell(endRequested: true) == [.close(reason: "ended by session_end or cancel")])
    }

    @Test("a command that did not start leaves the session idle")
    func skipped() {
        var machine = ready()
        #expect(observe(&machine, queued: job) == [.startCommand(job)])
        machine.commandSkipped()
        #expect(machine.state == .idle)
    }
}
