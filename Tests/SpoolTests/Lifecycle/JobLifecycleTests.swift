import Spool
import Testing

/// Every combination of the job facts, each checked against a table of rules written as
/// full conditions (not in priority order), so the table itself must give exactly one
/// answer for each combination, and the lifecycle must give that answer.
@Suite("Job lifecycle rules")
struct JobLifecycleTests {
    static let job = JobID.make()
    static let worker = WorkerName("w1")!
    static let other = WorkerName("w2")!
    static let session = SessionID.make()
    static let broken = SpoolError.corruptFile(path: "x", reason: "torn")

    static let places: [JobFacts.Place] = [
        .queued(.sync), .queued(.async), .claimed(worker), .claimed(other), .sessionQueued(session: session),
        .sessionRunning(session: session), .done, .nowhere,
    ]
    static var running: JobStatus {
        var status = JobStatus(job: job, state: .running, priority: .async, worker: worker, pid: 10, createdAt: job.createdAt)
        status.keeperPid = 42
        return status
    }
    static var succeeded: JobStatus {
        var status = running
        status.state = .succeeded
        status.exitCode = 0
        return status
    }
    static let statuses: [JobFacts.Record<JobStatus>] = [.absent, .present(running), .present(succeeded), .unreadable(broken)]
    static func exit(code: Int32? = nil, signal: Int32? = nil, timedOut: Bool = false, cancelled: Bool = false) -> SupervisorExit {
        SupervisorExit(pid: 10, exitCode: code, signal: signal, timedOut: timedOut, cancelled: cancelled, startedAtNs: 1, finishedAtNs: 2)
    }
    static let exits: [JobFacts.Record<SupervisorExit>] = [
        .absent, .present(exit(code: 0)), .present(exit(code: 3)), .present(exit(signal: 15, cancelled: true)),
        .present(exit(signal: 9, timedOut: true)), .unreadable(broken),
    ]
    static let requests: [JobFacts.Record<JobRequest>] = [
        .absent, .present(JobRequest(job: job, command: "true", priority: .sync)), .unreadable(broken),
    ]
    static let locks: [JobFacts.Lock] = [.notProbed, .heldElsewhere, .heldByReader, .free]
    static let owners: [JobFacts.Owner] = [.notProbed, .alive, .dead, .previousLife]
    static let groups: [JobFacts.Group] = [.notProbed, .alive, .gone]

    static let allFacts: [JobFacts] = makeAllFacts()

    static func makeAllFacts() -> [JobFacts] {
        var all: [JobFacts] = []
        for place in places { for status in statuses { for exit in exits { for request in requests {
            for lock in locks { for owner in owners { for cancel in [false, true] { for isSession in [false, true] { for group in groups {
                all.append(JobFacts(job: job, place: place, isSession: isSession, status: status, exit: exit, request: request,
                                    lock: lock, group: group, owner: owner, position: 1, cancelRequested: cancel, stdoutBytes: 5, stderrBytes: 7))
            } } } } }
        } } } }
        return all
    }

    // MARK: recovery

    typealias Recovery = JobLifecycle.RecoveryAction

    /// Rows: (name, condition, expected action).
    static let recoveryRules: [(String, @Sendable (JobFacts) -> Bool, @Sendable (JobFacts) -> Recovery)] = [
        ("not in this worker's folder", { $0.place != .claimed(worker) }, { _ in .none }),
        ("in the folder of a live (or unprobed) owner", { $0.place == .claimed(worker) && !ownerGone($0) }, { _ in .leave(relay: false) }),
        ("owner gone, lock not ours", { $0.place == .claimed(worker) && ownerGone($0) && $0.lock != .heldByReader },
         { _ in .leave(relay: true) }),
        ("ours, request gone", { $0.place == .claimed(worker) && ownerGone($0) && $0.lock == .heldByReader && $0.request == .absent }, { _ in .none }),
        ("ours, request unreadable", { $0.place == .claimed(worker) && ownerGone($0) && $0.lock == .heldByReader && $0.request.error != nil },
         { .quarantine(reason: "\($0.request.error!)") }),
        ("ours, exit recorded", { isOurs($0) && $0.exit.value != nil }, { .finish(JobEnding($0.exit.value!)) }),
        ("ours, exit unreadable", { isOurs($0) && $0.exit.error != nil }, { .retry($0.exit.error!) }),
        ("ours, no exit, status unreadable", { isOurs($0) && $0.exit == .absent && $0.status.error != nil }, { .retry($0.status.error!) }),
        ("ours, no exit, final status", { isOurs($0) && $0.exit == .absent && $0.status.value?.state.isFinal == true }, { _ in .file }),
        ("ours, no exit, running status, group gone", { isOurs($0) && $0.exit == .absent && $0.status.value?.state == .running && $0.group == .gone },
         { _ in .lose(reason: "its keeper, its supervisor and worker w1 (with its fork server) all died while it ran, so nobody could collect its exit status; its processes have ended") }),
        ("ours, no exit, running status, group alive or not known", { isOurs($0) && $0.exit == .absent && $0.status.value?.state == .running && $0.group != .gone },
         { _ in .watchOrphan }),
        ("ours, never started, cancelled", { isOurs($0) && $0.exit == .absent && $0.status == .absent && $0.cancelRequested },
         { _ in .cancelBeforeStart }),
        ("ours, never started", { isOurs($0) && $0.exit == .absent && $0.status == .absent && !$0.cancelRequested },
         { _ in .requeue(.sync) }),
    ]

    static func ownerGone(_ facts: JobFacts) -> Bool { facts.owner == .dead || facts.owner == .previousLife }

    static func isOurs(_ facts: JobFacts) -> Bool {
        facts.place == .claimed(worker) && ownerGone(facts) && facts.lock == .heldByReader && facts.request.value != nil
    }

    /// Recovery never sees a session id (`Recovery` hands those to its session path).
    static let recoveryFacts = allFacts.filter { !$0.isSession }
    /// Reporting never asks the lock or the owner (only their holders may probe them).
    static let reportFacts = allFacts.filter { $0.lock == .notProbed && $0.owner == .notProbed && $0.group == .notProbed }

    @Test("recovery: exactly one rule answers each of the 55,296 combinations, and the lifecycle gives its answer")
    func recovery() {
        #expect(Self.recoveryFacts.count == 55_296)
        let failures = Self.check(Self.recoveryFacts, against: Self.recoveryRules) { facts, _ in
            JobLifecycle.recovery(facts, worker: Self.worker)
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
    }

    /// Each of `facts` must match exactly one rule, and `answer` must give that rule's
    /// answer; returns what went wrong. `answer` may add failures of its own.
    static func check<Answer: Equatable>(
        _ facts: [JobFacts], against rules: [(String, @Sendable (JobFacts) -> Bool, @Sendable (JobFacts) -> Answer)],
        answer: (JobFacts, inout [String]) -> Answer
    ) -> [String] {
        var failures: [String] = []
        for facts in facts {
            let matching = rules.filter { $0.1(facts) }
            guard matching.count == 1 else {
                failures.append("\(matching.count) rules for \(facts)")
                continue
            }
            let expected = matching[0].2(facts), actual = answer(facts, &failures)
            if expected != actual { failures.append("\(matching[0].0): expected \(expected), got \(actual)") }
        }
        return failures
    }

    // MARK: reported state

    enum Answer: Equatable {
        case state(JobState, position: Int?)
        case error(SpoolError)
    }

    static let reportRules: [(String, @Sendable (JobFacts) -> Bool, @Sendable (JobFacts) -> Answer)] = [
        ("a session id", { $0.isSession }, { .error(.sessionNotJob($0.job)) }),
        ("nowhere", { !$0.isSession && $0.place == .nowhere }, { .error(.unknownJob($0.job)) }),
        ("done with a status", { !$0.isSession && $0.place == .done && $0.status.value != nil }, { .state($0.status.value!.state, position: nil) }),
        ("done before its status", { !$0.isSession && $0.place == .done && $0.status == .absent }, { _ in .state(.cancelled, position: nil) }),
        ("done, status unreadable", { !$0.isSession && $0.place == .done && $0.status.error != nil }, { .error($0.status.error!) }),
        ("waiting", { f in !f.isSession && [.queued(.sync), .queued(.async), .sessionQueued(session: session)].contains(f.place) },
         { .state(.queued, position: $0.position) }),
        ("claimed, status unreadable", { f in !f.isSession && isClaimed(f) && f.status.error != nil }, { .error($0.status.error!) }),
        ("claimed, exit recorded", { f in !f.isSession && isClaimed(f) && f.status.error == nil && f.exit.value != nil },
         { .state($0.exit.value!.state, position: nil) }),
        // The worker took the keeper's record over and wrote the final status; the rename
        // to done/ comes next (there is no exit.json then).
        ("claimed, no readable exit, final status", { f in !f.isSession && isClaimed(f) && f.exit.value == nil && f.status.value?.state.isFinal == true },
         { .state($0.status.value!.state, position: nil) }),
        ("claimed, no readable exit, no final status", { f in !f.isSession && isClaimed(f) && f.status.error == nil && f.exit.value == nil && f.status.value?.state.isFinal != true },
         { _ in .state(.running, position: nil) }),
        ("session command running, status unreadable", { f in !f.isSession && f.place == .sessionRunning(session: session) && f.status.error != nil },
         { .error($0.status.error!) }),
        ("session command running", { f in !f.isSession && f.place == .sessionRunning(session: session) && f.status.error == nil },
         { _ in .state(.running, position: nil) }),
    ]

    static func isClaimed(_ facts: JobFacts) -> Bool {
        if case .claimed = facts.place { return true }
        return false
    }

    @Test("reported state: exactly one rule answers each combination, and report gives its answer")
    func report() {
        let failures = Self.check(Self.reportFacts, against: Self.reportRules) { facts, failures -> Answer in
            do throws(SpoolError) {
                let report = try JobLifecycle.report(facts)
                if !report.status.state.isFinal || facts.place != .done, report.status.state != .queued {
                    if report.status.stdoutBytes != 5 || report.status.stderrBytes != 7 { failures.append("sizes not reported for \(facts)") }
                }
                return .state(report.status.state, position: report.position)
            } catch { return .error(error) }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
    }

    @Test("an unreadable exit record is reported running with the reason, never as finished")
    func unreadableExit() throws {
        let facts = JobFacts(job: Self.job, place: .claimed(Self.worker), status: .present(Self.running), exit: .unreadable(Self.broken))
        let status = try JobLifecycle.report(facts).status
        #expect(status.state == .running)
        #expect(status.reason?.contains("cannot be read") == true)
    }

    // MARK: cancel

    @Test("cancel: final jobs are left alone, waiting ones dequeued, running ones marked")
    func cancel() throws {
        for facts in Self.reportFacts where !facts.isSession {
            guard let state = try? JobLifecycle.report(facts).status.state else {
                #expect(throws: SpoolError.self) { try JobLifecycle.cancel(facts) }
                continue
            }
            let action = try JobLifecycle.cancel(facts)
            switch (state.isFinal, facts.place) {
            case (true, _): #expect(action == .alreadyFinished(state))
            case (false, .queued), (false, .sessionQueued): #expect(action == .markAndDequeue(from: facts.place))
            default: #expect(action == .mark)
            }
        }
    }

    // MARK: after the supervisor

    @Test("after the supervisor: an exit record is filed; a live keeper or a live group awaited; lost only when both are gone; unreadable is retried")
    func afterSupervisor() {
        for exit in Self.exits { for lock in [JobFacts.Lock.heldElsewhere, .free] { for group in Self.groups {
            let facts = JobFacts(job: Self.job, place: .claimed(Self.worker), exit: exit, lock: lock, group: group)
            let action = JobLifecycle.afterSupervisor(facts, termination: "exited(1)")
            switch exit {
            case .present(let record): #expect(action == .file(JobEnding(record)))
            case .unreadable(let error): #expect(action == .retry(error))
            case .absent:
                let expected: JobLifecycle.SupervisorEndAction = lock == .heldElsewhere || group != .gone ? .awaitRecord
                    : .lose(reason: "spool-supervisor ended (exited(1)) without recording an exit status, and no process of the job is left that could; see the worker's log")
                #expect(action == expected)
            }
        } } }
    }
}
