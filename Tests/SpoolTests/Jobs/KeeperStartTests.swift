import Foundation
import Glibc
import Spool
import Testing

/// The keeper's note of a command's start (`jobs/<id>/.exit.json.tmp`): what stands for the
/// running status until a job has run for `Settings.runningStatusDelay`.
@Suite("Keeper's note of the start")
struct KeeperStartTests {
    @Test("the note parses; the reserved spaces, an end written over it and a malformed line do not")
    func parsing() {
        let note = KeeperStart(Array("start 41 40 39 0 1765000000000000000\n".utf8) + Array(repeating: 32, count: 100))
        #expect(note == KeeperStart(pid: 41, keeperPid: 40, supervisorPid: 39, tty: false, startedAt: Timestamp(nanoseconds: 1_765_000_000_000_000_000)))
        #expect(KeeperStart(Array("start 41 40 39 1 5\n".utf8))?.tty == true)
        #expect(KeeperStart(Array(repeating: 32, count: 1024)) == nil)
        #expect(KeeperStart(Array(#"{"pid":41,"exitCode":0,"#.utf8)) == nil)
        #expect(KeeperStart(Array("start 41 40 39 2 5\n".utf8)) == nil)
        #expect(KeeperStart(Array("start -1 40 39 0 5\n".utf8)) == nil)
        #expect(KeeperStart(Array("start 41 40 39 0 5".utf8)) == nil, "a line without its newline is not complete")
    }

    /// Starts `arguments` as the leader of a new session (and so of its own group).
    static func spawnInOwnSession(_ arguments: [String]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, 0x80) // glibc's POSIX_SPAWN_SETSID, which Swift does not import
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], nil, &attributes, &argv, environ)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        return pid
    }

    /// A claimed request of a dead worker, with the keeper's note naming `pid` and no status.json.
    func claimedWithNote(pid: Int32, session: Int32) throws -> (ScratchSpool, JobID, WorkerName) {
        let spool = try ScratchSpool()
        let layout = spool.layout
        let worker = try #require(WorkerName("gone-1"))
        let request = JobRequest(command: "sleep 30", priority: .sync)
        try spool.claim(request, by: worker)
        try FileSystem.makeDirectory(layout.job(request.job))
        try AtomicFile.write(Array("start \(pid) \(pid) \(session) 0 \(Timestamp.now.nanoseconds)\n".utf8) + Array(repeating: 32, count: 200),
                             to: layout.job(request.job, .exitReserve), layout: layout, durable: false)
        return (spool, request.job, worker)
    }

    @Test("a job whose worker, supervisor and keeper died before its running status was written: its group lives, so it is watched, never run again")
    func recoveredWhileItRuns() throws {
        // A command in a session of its own, as a job's is in its supervisor's.
        let pid = try Self.spawnInOwnSession(["/bin/sleep", "30"])
        defer {
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
        }
        #expect(ProcessProbe.isGroupAlive(pid, session: pid))
        let (spool, id, worker) = try claimedWithNote(pid: pid, session: pid)
        let facts = JobFacts.readClaimed(id, worker: worker, layout: spool.layout, lock: .heldByReader, owner: .dead)
        #expect(facts.status.value?.state == .running)
        #expect(facts.status.value?.pid == pid)
        #expect(facts.status.value?.priority == .sync, "the priority comes from the claimed request")
        #expect(facts.group == .alive)
        #expect(JobLifecycle.recovery(facts, worker: worker) == .watchOrphan)
        // And `status` says running, with the pids.
        let report = try JobLifecycle.report(JobFacts.read(id, layout: spool.layout))
        #expect(report.status.state == .running && report.status.pid == pid && report.status.keeperPid == pid)
    }

    @Test("the same job once its group is gone: lost, with the reason, never requeued")
    func recoveredAfterItEnded() throws {
        let pid = try Self.spawnInOwnSession(["/bin/true"])
        waitpid(pid, nil, 0)
        let (spool, id, worker) = try claimedWithNote(pid: pid, session: pid)
        let facts = JobFacts.readClaimed(id, worker: worker, layout: spool.layout, lock: .heldByReader, owner: .dead)
        #expect(facts.group == .gone)
        guard case .lose = JobLifecycle.recovery(facts, worker: worker) else {
            Issue.record("expected lose, got \(JobLifecycle.recovery(facts, worker: worker))")
            return
        }
    }
}
