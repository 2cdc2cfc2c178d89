import Glibc
@testable import Spool
import Testing

@Suite("Process probes")
struct ProcessProbeTests {
    @Test("stat fields are read after the last ')', whatever the name holds")
    func parse() {
        let stat = ProcessProbe.parseStat("123 (a) b) (c) S 1 456 789 0 -1 4194560")
        #expect(stat == ProcessProbe.Stat(comm: "a) b) (c", state: "S", parent: 1, group: 456, session: 789, terminal: 0, foregroundGroup: -1))
        #expect(ProcessProbe.parseStat("garbage") == nil)
    }

    @Test("this process's group is alive in its own session and not in another; a free number is gone")
    func group() {
        let group = getpgrp(), session = getsid(0)
        #expect(ProcessProbe.isGroupAlive(group, session: session))
        #expect(!ProcessProbe.isGroupAlive(group, session: session + 1))
        #expect(!ProcessProbe.isGroupAlive(0, session: nil))
    }

    @Test("a process holds the folder it has open, and not another")
    func holds() {
        let fd = open("/tmp", O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        #expect(ProcessProbe.holds(getpid(), directory: "/tmp"))
        #expect(!ProcessProbe.holds(getpid(), directory: "/usr/share"))
    }
}
