import Spool
import Testing
@testable import Frontend

/// The ledger restored from journals that spool-mcp recorded, then fed observations.
@Suite("EventLedger")
struct EventLedgerTests {
    /// Recorded by `spool-mcp --http` while a second spool-mcp ran `run` (stdout and stderr),
    /// `start "exit 3"`, `start "sleep 5"` and `session_start`; killed before `sleep 5` started.
    static let recorded = """
    {"id":1,"time":"2026-12-02T00:44:15.861Z","type":"worker_up","worker":"vm-9237-1"}
    {"id":2,"job":"01M8T3B60YG8EM8FXWXPJS4575","priority":"async","time":"2026-12-02T00:44:17.310Z","type":"queued"}
    {"id":3,"job":"01M8T3B60YG8EM8FXWXPJS4575","priority":"async","time":"2026-12-02T00:44:17.314Z","type":"started","worker":"vm-9237-1"}
    {"id":4,"job":"01M8T3B60XHRYQZKG2ZNCJ94BE","priority":"sync","time":"2026-12-02T00:44:17.309Z","type":"queued"}
    {"id":5,"job":"01M8T3B60XHRYQZKG2ZNCJ94BE","position":1,"priority":"sync","time":"2026-12-02T00:44:17.320Z","type":"position"}
    {"id":6,"job":"01M8T3B614NV3Q2DRA3CDC0T77","priority":"async","time":"2026-12-02T00:44:17.316Z","type":"queued"}
    {"id":7,"job":"01M8T3B614NV3Q2DRA3CDC0T79","priority":"sync","time":"2026-12-02T00:44:17.316Z","type":"queued"}
    {"exitCode":3,"id":8,"job":"01M8T3B60YG8EM8FXWXPJS4575","priority":"async","state":"failed","time":"2026-12-02T00:44:17.325Z","type":"finished","worker":"vm-9237-1"}
    {"id":9,"job":"01M8T3B60XHRYQZKG2ZNCJ94BE","priority":"sync","time":"2026-12-02T00:44:17.326Z","type":"started","worker":"vm-9237-1"}
    {"id":10,"job":"01M8T3B614NV3Q2DRA3CDC0T79","position":1,"priority":"sync","time":"2026-12-02T00:44:17.326Z","type":"position"}
    {"id":11,"job":"01M8T3B614NV3Q2DRA3CDC0T77","position":2,"priority":"async","time":"2026-12-02T00:44:17.326Z","type":"position"}
    {"id":12,"job":"01M8T3B60XHRYQZKG2ZNCJ94BE","length":7,"offset":0,"stream":"stdout","time":"2026-12-02T00:44:17.330Z","type":"output"}
    {"id":13,"job":"01M8T3B60XHRYQZKG2ZNCJ94BE","length":4,"offset":0,"stream":"stderr","time":"2026-12-02T00:44:17.330Z","type":"output"}
    {"exitCode":0,"id":14,"job":"01M8T3B60XHRYQZKG2ZNCJ94BE","priority":"sync","state":"succeeded","time":"2026-12-02T00:44:17.331Z","type":"finished","worker":"vm-9237-1"}
    {"id":15,"session":"01M8T3B614NV3Q2DRA3CDC0T79","time":"2026-12-02T00:44:17.335Z","type":"session_ready","worker":"vm-9237-1"}
    {"id":16,"job":"01M8T3B614NV3Q2DRA3CDC0T77","position":1,"priority":"async","time":"2026-12-02T00:44:17.338Z","type":"position"}
    """

    static let sleeper = JobID("01M8T3B614NV3Q2DRA3CDC0T77")!
    static let failed = JobID("01M8T3B60YG8EM8FXWXPJS4575")!
    /// The request that opened the session (announced queued, like any request).
    static let opener = JobID("01M8T3B614NV3Q2DRA3CDC0T79")!
    static let session = SessionID(opening: opener)
    static let worker = WorkerName("vm-9237-1")!

    static func journal(_ text: String) throws -> [SpoolEvent] {
        try text.split(separator: "\n").map { try SpoolJSON.decode(SpoolEvent.self, from: Array($0.utf8), path: "journal") }
    }

    func restored() throws -> EventLedger {
        var ledger = EventLedger(announcedUntil: Timestamp(nanoseconds: 0))
        ledger.restore(try Self.journal(Self.recorded))
        return ledger
    }

    @Test("restoring keeps what is unfinished, the live workers and the ready sessions; finished jobs are dropped")
    func restore() throws {
        let ledger = try restored()
        #expect(ledger.jobs.keys.sorted() == [Self.sleeper, Self.opener])
        #expect(ledger.jobs[Self.sleeper]?.position == 1)
        #expect(ledger.jobs[Self.sleeper]?.priority == .async)
        #expect(ledger.workers == [Self.worker])
        #expect(ledger.followsSession(Self.session))
        #expect(ledger.announcedUntil == (try Self.journal(Self.recorded)).last?.time)
    }

    @Test("replaying what the journal already says adds nothing")
    func idempotent() throws {
        var ledger = try restored()
        #expect(ledger.queued(Self.sleeper, priority: .async).isEmpty)
        #expect(ledger.positions([QueueEntry(id: Self.sleeper, priority: .async)]).isEmpty)
        #expect(ledger.worker(Self.worker, up: true).isEmpty)
        var record = SessionRecord(session: Self.session, state: .ready, cwd: nil, env: nil, shell: nil, createdAt: Self.session.createdAt)
        record.worker = Self.worker
        #expect(ledger.session(Self.session, record: record).isEmpty)
        // A job finished before the journal's last event is not announced a second time.
        var status = JobStatus(job: Self.failed, state: .failed, priority: .async, createdAt: Self.failed.createdAt)
        status.finishedAt = Timestamp(nanoseconds: 1_764_636_257_325_000_000)
        #expect(ledger.finished(Self.failed, status: status, ends: [.stdout: 0, .stderr: 0]).isEmpty)
    }

    @Test("worker hosts: up and down once per change, and a restored ledger repeats none")
    func hosts() throws {
        var ledger = EventLedger()
        let up = ledger.hostsAlive(["b", "c"])
        #expect(up.map(\.type) == [.hostUp, .hostUp] && up.map(\.host) == ["b", "c"])
        #expect(ledger.hostsAlive(["b", "c"]).isEmpty)
        let down = ledger.hostsAlive(["c"])
        #expect(down.map(\.type) == [.hostDown] && down.first?.host == "b")
        var restored = EventLedger()
        restored.restore(up + down)
        #expect(restored.hostsAlive(["c"]).isEmpty)
        #expect(restored.hostsAlive(["b", "c"]).map(\.type) == [.hostUp])
    }

    @Test("a claimed job gets started, then its output in contiguous ranges of at most 16 KiB, then finished")
    func lifecycle() throws {
        var ledger = try restored()
        let started = ledger.started(Self.sleeper, worker: Self.worker, status: nil)
        #expect(started.map(\.type) == [.started])
        #expect(ledger.started(Self.sleeper, worker: Self.worker, status: nil).isEmpty)
        let output = ledger.output(Self.sleeper, ends: [.stdout: 40_000, .stderr: 0])
        #expect(output.map(\.offset) == [0, 16_384, 32_768])
        #expect(output.map(\.length) == [16_384, 16_384, 7_232])
        #expect(ledger.output(Self.sleeper, ends: [.stdout: 40_000, .stderr: 0]).isEmpty)
        #expect(ledger.positions([]).isEmpty) // running jobs have no position
        var status = JobStatus(job: Self.sleeper, state: .cancelled, priority: .async, createdAt: Self.sleeper.createdAt)
        status.finishedAt = .now
        let end = ledger.finished(Self.sleeper, status: status, ends: [.stdout: 40_010, .stderr: 3])
        #expect(end.map(\.type) == [.output, .output, .cancelled])
        #expect(end.first?.offset == 40_000)
        #expect(!ledger.isTracked(Self.sleeper))
    }

    @Test("a job that came and went while no one recorded is announced whole, once")
    func unseen() throws {
        var ledger = try restored()
        let id = JobID.make()
        var status = JobStatus(job: id, state: .succeeded, priority: .sync, worker: Self.worker, exitCode: 0,
                               createdAt: id.createdAt, startedAt: .now, finishedAt: .now)
        status.session = nil
        let events = ledger.finished(id, status: status, ends: [.stdout: 5, .stderr: 0])
        #expect(events.map(\.type) == [.started, .output, .finished])
        #expect(ledger.finished(id, status: status, ends: [.stdout: 5, .stderr: 0]).isEmpty)
        // Also a job followed from its queue, found in done/ again by a comparison after an overflow.
        #expect(ledger.finished(Self.sleeper, status: status, ends: [.stdout: 0, .stderr: 0]).last?.type == .finished)
        #expect(ledger.finished(Self.sleeper, status: status, ends: [.stdout: 0, .stderr: 0]).isEmpty)
    }

    @Test("promote is a position event with the new priority; a worker that died is announced down")
    func moves() throws {
        var ledger = try restored()
        let promoted = ledger.queued(Self.sleeper, priority: .sync)
        #expect(promoted.map(\.type) == [.position])
        #expect(promoted.first?.priority == .sync)
        #expect(ledger.workersAlive([]).map(\.type) == [.workerDown])
        #expect(ledger.workersAlive([]).isEmpty)
    }

    @Test("a session that closes is no longer followed; an abandoned one is announced")
    func sessions() throws {
        var ledger = try restored()
        var record = SessionRecord(session: Self.session, state: .ready, cwd: nil, env: nil, shell: nil, createdAt: Self.session.createdAt)
        record.abandonedAt = .now
        #expect(ledger.session(Self.session, record: record).map(\.type) == [.sessionAbandoned])
        record.state = .closed
        #expect(ledger.session(Self.session, record: record).isEmpty)
        #expect(!ledger.followsSession(Self.session))
    }
}
