import Spool
import Testing

@Suite("SpoolLayout.classify")
struct SpoolPathTests {
    static let layout = SpoolLayout(root: "/srv/spool")
    static let id = JobID.make()
    static let session = SessionID.make()
    static let worker = WorkerName("w-1")!

    @Test("every path the layout builds parses back to what it names")
    func roundTrip() {
        let l = Self.layout, id = Self.id, session = Self.session, worker = Self.worker
        let table: [(String, SpoolPath)] = [
            (l.queue(.sync), .queueFolder(.sync)),
            (l.queued(id, .async), .queued(id, .async)),
            (l.active, .activeFolder),
            (l.active(worker: worker), .workerFolder(worker)),
            (l.active(id, worker: worker), .claimed(id, worker)),
            (l.done, .doneFolder),
            (l.done(id), .done(id)),
            (l.jobs, .jobsFolder),
            (l.job(id), .jobFolder(id)),
            (l.job(id, .stdout), .jobFile(id, name: "stdout")),
            (l.workers, .workersFolder),
            (l.workerRecord(worker), .workerRecord(worker)),
            (l.workerLock(worker), .workerLock(worker)),
            (l.sessions, .sessionsFolder),
            (l.session(session), .sessionFolder(session)),
            (l.session(session, .record), .sessionFile(session, name: "session.json")),
            (l.sessionQueue(session), .sessionQueueFolder(session)),
            (l.sessionQueued(id, in: session), .sessionQueued(id, session: session)),
            (l.sessionRunning(session), .sessionRunningFolder(session)),
            (l.sessionRunning(id, in: session), .sessionRunning(id, session: session)),
        ]
        for (path, expected) in table { #expect(l.classify(path) == expected, "\(path)") }
    }

    @Test("names an attacker or a typo controls are foreign, never a job", arguments: [
        "/srv/spool/queue/sync/notes.txt", "/srv/spool/queue/sync/../x.json", "/srv/spool/queue/urgent",
        "/srv/spool/active/a b/x.json", "/srv/spool/done/\(JobID.make().rawValue)", "/srv/spool/workers/w.pid",
        "/srv/spool/jobs/..", "/srv/spool/sessions/x/queue/y.json",
    ])
    func foreign(path: String) {
        guard case .foreign = Self.layout.classify(path) else {
            Issue.record("\(path) classified as \(Self.layout.classify(path))")
            return
        }
    }

    @Test("paths outside the spool, or beside its root, are other")
    func outside() {
        #expect(Self.layout.classify("/srv/spool-2/queue/sync") == .other)
        #expect(Self.layout.classify("/srv/spool") == .other)
        #expect(Self.layout.classify("/srv/spool/tmp/x") == .other)
    }
}
