import Foundation
import MCP
import ProcessHarness
import Spool
import Testing

/// Hosts A, B and C (network namespaces, or loopback where none can be made) with their
/// own spools, joined by a private PostgreSQL cluster: spool-mcp --postgres on A,
/// spool-worker --postgres on B and C.
@Suite("many hosts", .serialized, .timeLimit(.minutes(4)), .enabled(if: PostgresCluster.isAvailable, "PostgreSQL is not installed"))
struct ManyHostsTests {
    /// What a job prints and how it exits depends only on n, so every result can be checked.
    static func command(_ n: Int) -> String { "printf 'job %s\\n' \(n); printf 'e\(n)' >&2; exit \(n % 3)" }

    /// Starts `command(n)` for n in 0..<count through `mcp` (after `before`, when given);
    /// returns the job ids by n.
    static func startJobs(_ mcp: MCPHarness, count: Int, before: String = "", runLog: String? = nil) async throws -> [Int: String] {
        var ids: [Int: String] = [:]
        for n in 0..<count {
            // Each run of job n appends n to the run log (every host's jobs see this file system).
            let logged = runLog.map { "echo \(n) >> '\($0)'; " } ?? ""
            let started = try await mcp.call("start", ["command": .string(logged + before + command(n))])
            ids[n] = try #require(started["job"]?.stringValue)
        }
        return ids
    }

    /// Each job `n` of `ids` ended at `origin` as `command(n)` does: its exit code and output.
    static func expectResults(_ ids: [Int: String], at origin: TestSpool) throws {
        for (n, id) in ids {
            let status = try #require(try origin.status(id))
            #expect(status.exitCode == Int32(n % 3), "job \(n): \(status.state) \(status.reason ?? "")")
            #expect(origin.read(origin.layout.job(JobID(id)!, .stdout)) == "job \(n)\n", "job \(n)")
        }
    }

    /// Jobs that ran other than exactly once, by the run log: n → runs.
    static func notOnce(_ runLog: String, count: Int) -> [Int: Int] {
        let runs = (try? String(contentsOfFile: runLog, encoding: .utf8)) ?? ""
        var counts = [Int: Int](uniqueKeysWithValues: (0..<count).map { ($0, 0) })
        for line in runs.split(separator: "\n") { if let n = Int(line) { counts[n, default: 0] += 1 } }
        return counts.filter { $0.value != 1 }
    }

    func waitDone(_ spool: TestSpool, count: Int, timeout: Double) async -> Bool {
        await eventually(timeout: timeout) { spool.names(spool.layout.done).count >= count }
    }

    @Test("1,000 async jobs from A run exactly once, spread over B and C, with identical output and exit codes")
    func thousandJobs() async throws {
        // A lease long enough that a busy 2-core machine never lets one run out here.
        try await withRelayWorld(lease: 15) { world in
            try world.startWorkerHost("b", slots: 4)
            try world.startWorkerHost("c", slots: 4)
            let mcp = try await world.frontend()
            let a = world.spools["a"]!
            let ids = try await Self.startJobs(mcp, count: 1000)
            #expect(await waitDone(a, count: 1000, timeout: 150), "done at A: \(a.names(a.layout.done).count)")
            var hostsUsed: [String: Int] = [:]
            for (n, id) in ids {
                let status = try #require(try a.status(id))
                #expect(status.state == (n % 3 == 0 ? .succeeded : .failed), "job \(n) \(id): \(status.reason ?? "")")
                #expect(status.exitCode == Int32(n % 3))
                #expect(a.read(a.layout.job(JobID(id)!, .stdout)) == "job \(n)\n")
                #expect(a.read(a.layout.job(JobID(id)!, .stderr)) == "e\(n)")
                #expect(status.remote == true)
                hostsUsed[status.host ?? "?", default: 0] += 1
            }
            #expect(Set(hostsUsed.keys) == ["b", "c"], "\(hostsUsed)")
            // Exactly once: each ran on one host, in one attempt.
            let b = Set(world.spools["b"]!.names(world.spools["b"]!.layout.done))
            let c = Set(world.spools["c"]!.names(world.spools["c"]!.layout.done))
            #expect(b.isDisjoint(with: c))
            #expect(b.count + c.count == 1000)
            if b.count + c.count != 1000 { world.printLogs() }
            #expect(try await world.cluster.psql("SELECT count(*) FROM spool_jobs WHERE state = 'finished' AND attempts = 1") == "1000")
            await mcp.close()
        }
    }

    @Test("a sync run on A executes on B with progress at A; send_input and cancel from A reach B; psql shows it")
    func syncRunAndCancel() async throws {
        try await withRelayWorld { world in
            try world.startWorkerHost("b", slots: 2)
            let mcp = try await world.frontend()
            let a = world.spools["a"]!, b = world.spools["b"]!
            let (result, notes) = try await mcp.callWithProgress(
                "run", ["command": "for i in 1 2 3; do echo tick $i; sleep 0.4; done", "wait": 30], expecting: 1)
            #expect(result["state"] == "succeeded")
            #expect(result["stdout"] == "tick 1\ntick 2\ntick 3\n")
            #expect(result["host"] == "b", "the result names the host that ran it")
            #expect(notes >= 1, "progress notifications at A")
            let id = try #require(result["job"]?.stringValue)
            #expect(try a.status(id)?.host == "b")
            #expect(b.names(b.layout.done).contains("\(id).json"), "it ran in B's spool")
            #expect(try await world.cluster.psql("SELECT host || ' ' || state || ' ' || exit_code FROM spool_jobs WHERE job = '\(id)'") == "b finished 0")

            // A request dropped by hand into queue/sync, without a priority field, keeps its folder's priority.
            let dropped = JobID.make()
            try Data(#"{"command": "echo dropped"}"#.utf8).write(to: URL(fileURLWithPath: a.layout.queued(dropped, .sync)))
            #expect(await eventually(timeout: 20) { (try? a.status(dropped.rawValue))??.state == .succeeded })
            #expect(try await world.cluster.psql("SELECT priority FROM spool_jobs WHERE job = '\(dropped)'") == "sync")

            // send_input from A reaches the command on B, and its eof ends the input there.
            let piped = try await mcp.call("start", ["command": "tr a-z A-Z", "stdin": "pipe"])
            let pipedID = try #require(piped["job"]?.stringValue)
            #expect(await eventually(timeout: 20) { (try? a.status(pipedID))??.state == .running })
            let sent = try await mcp.call("send_input", ["job": .string(pipedID), "data": "hello\n"])
            #expect(sent.isError != true, "\(sent.content)")
            _ = try await mcp.call("send_input", ["job": .string(pipedID), "data": "from a\n", "eof": true])
            #expect(await eventually(timeout: 20) { (try? a.status(pipedID))??.state == .succeeded })
            #expect(a.read(a.layout.job(JobID(pipedID)!, .stdout)) == "HELLO\nFROM A\n")
            #expect(try a.status(pipedID)?.host == "b")

            // A terminal job on B, driven from A: its screen at A comes from the output B
            // relays; its state there is only busy or exited (the kernel facts are on B).
            let term = try await mcp.call("start", ["command": #"read -p "Name: " x; echo "hi $x""#, "tty": true])
            let termID = try #require(term["job"]?.stringValue)
            #expect(await eventually(timeout: 20) { (try? a.status(termID))??.state == .running })
            var look = try await mcp.call("screen", ["job": .string(termID)])
            let prompted = Date().addingTimeInterval(20)
            while look["lines"]?.arrayValue?.first?.stringValue != "Name:" && Date() < prompted {
                look = try await mcp.call("screen", ["job": .string(termID)])
            }
            #expect(look["lines"]?.arrayValue?.first == "Name:", "\(look.content)")
            #expect(look["state"] == "busy", "\(look.content)")
            let resize = try await mcp.call("send_input", ["job": .string(termID), "cols": 80])
            #expect(resize.isError == true, "\(resize.content)")
            let typed = try await mcp.call("send_input", ["job": .string(termID), "data": "bob", "keys": ["Enter"]])
            #expect(typed.isError != true, "\(typed.content)")
            #expect(await eventually(timeout: 20) { (try? a.status(termID))??.state == .succeeded })
            let ended = try await mcp.call("screen", ["job": .string(termID)])
            #expect(ended["state"] == "exited" && ended["lines"]?.arrayValue?.prefix(2) == ["Name: bob", "hi bob"], "\(ended.content)")
            #expect(try a.status(termID)?.host == "b")

            let started = try await mcp.call("start", ["command": "echo started; sleep 120 & wait"])
            let long = try #require(started["job"]?.stringValue)
            #expect(await eventually(timeout: 20) { (try? b.status(long))??.state == .running && (try? a.status(long))??.state == .running })
            let pid = try #require(try b.status(long)?.pid)
            _ = try await mcp.call("cancel", ["job": .string(long)])
            #expect(await eventually(timeout: 20) { (try? a.status(long))??.state == .cancelled }, "cancelled at A")
            #expect(await ProcessTable.waitGone(group: pid), "the process group on B is gone")

            // The dashboard on A shows every host's jobs from A's spool (the relay's
            // mirror), with their host: a second spool-mcp serving A's spool over HTTP.
            let log = a.root + "/../dashboard.log"
            let viewer = try ChildProcess(TestSpool.binary("spool-mcp"), ["--spool", a.root, "--workers", "0", "--http", "127.0.0.1:0"], stderrPath: log)
            var port: Int?
            _ = await eventually(timeout: 20) {
                port = TestSpool.port(servedIn: a.read(log) ?? "")
                return port != nil
            }
            if let port {
                let onB = try await httpRequest(port: port, "GET", "/api/jobs?host=b&limit=200")
                let rows = ((try? JSONSerialization.jsonObject(with: Data(onB.body.utf8))) as? [String: Any])?["jobs"] as? [[String: Any]] ?? []
                #expect(rows.contains { $0["job"] as? String == id && $0["host"] as? String == "b" }, "\(onB.body.prefix(2000))")
                // Workers and hosts: A's sending relay, and host B (up, 2 slots) as PostgreSQL has it.
                let workers = try await httpRequest(port: port, "GET", "/api/workers")
                let view = (try? JSONSerialization.jsonObject(with: Data(workers.body.utf8))) as? [String: Any] ?? [:]
                let hosts = view["hosts"] as? [[String: Any]] ?? []
                #expect(hosts.contains { $0["name"] as? String == "b" && $0["live"] as? Bool == true && $0["slots"] as? Int == 2 }, "\(workers.body)")
                #expect((view["workers"] as? [[String: Any]] ?? []).contains { $0["relay"] as? Bool == true }, "\(workers.body)")
                let dom = try await HeadlessBrowser.dom("http://127.0.0.1:\(port)/")
                #expect(dom.contains("data-job=\"\(long)\"") && dom.contains("<td>b</td>"), "the page does not show B's jobs with their host")
                #expect(dom.contains("data-host=\"b\"><td>b</td><td class=\"host-up\">up</td>"), "the page does not show host B up")
                // The viewer records A's events (the stdio spool-mcp does not): B came up. When
                // B's worker and relay die (nothing restarts them), its PostgreSQL session ends
                // with them, and A's relay, journal and page say B is down.
                #expect(await eventually(timeout: 20) { Self.hostEvents(a) == ["host_up b"] }, "\(Self.hostEvents(a))")
                if let worker = world.worker("b") { kill(worker.pid, SIGKILL) }
                for pid in world.relayPids("b") { kill(pid, SIGKILL) }
                #expect(await eventually(timeout: 20) { Self.hostEvents(a) == ["host_up b", "host_down b"] }, "\(Self.hostEvents(a))")
                let down = try await HeadlessBrowser.dom("http://127.0.0.1:\(port)/")
                #expect(down.contains("data-host=\"b\"><td>b</td><td class=\"host-down\">down</td>"), "the page does not show host B down")
            }
            #expect(port != nil, "the dashboard's spool-mcp did not start: \(a.read(log) ?? "")")
            await viewer.killGroup()
            await mcp.close()
        }
    }

    /// Opens a session from A and runs `first` in it, after appending "first" to the run
    /// log `runs`; returns the session's id.
    static func openSession(_ mcp: MCPHarness, runs: String, first: String) async throws -> (session: String, id: JobID) {
        let started = try await mcp.call("session_start", ["cwd": "/usr"])
        #expect(started["state"] == "ready", "\(started.text)")
        let session = try #require(started["session"]?.stringValue)
        let ran = try await mcp.call("run", ["command": .string("echo first >> '\(runs)'; " + first), "session": .string(session)])
        #expect(ran["state"] == "succeeded", "\(ran.text)")
        return (session, try #require(JobID(session)))
    }

    /// `session_end` from A; A's record of the session closes.
    static func endSession(_ mcp: MCPHarness, _ session: (session: String, id: JobID), at a: TestSpool) async throws {
        _ = try await mcp.call("session_end", ["session": .string(session.session)])
        #expect(await eventually(timeout: 20) { (try? SessionStore(layout: a.layout).record(session.id))??.state == .closed }, "closed at A")
    }

    @Test("a session opened from A (--workers 0) lives on B: cd, export and functions persist across commands sent from A; A's record names host b")
    func sessionOnAnotherHost() async throws {
        try await withRelayWorld { world in
            try world.startWorkerHost("b", slots: 2)
            let mcp = try await world.frontend()
            let a = world.spools["a"]!, b = world.spools["b"]!
            let runs = a.root + "/../runs"
            let opened = try await Self.openSession(mcp, runs: runs, first: "cd /tmp && export GREETING=hi; greet() { echo \"$GREETING from $(pwd)\"; }")
            let (session, id) = opened
            // kill -9 of both relays between commands: their next lives follow the session again.
            for pid in world.relayPids("a") + world.relayPids("b") { kill(pid, SIGKILL) }
            let second = try await mcp.call("run", ["command": .string("echo second >> '\(runs)'; greet; (exit 4)"), "session": .string(session)])
            #expect(second["stdout"] == "hi from /tmp\n", "\(second.text)")
            #expect(second["exitCode"] == 4)
            // It ran in B's spool, in B's shell; A's record says where it lives.
            #expect(b.read(b.layout.session(id, .cwd)) == "/tmp\n")
            let record = try #require(try SessionStore(layout: a.layout).record(id))
            #expect(record.host == "b" && record.state == .ready, "\(record)")
            #expect(try await world.cluster.psql("SELECT session_state->>'cwd' FROM spool_job WHERE id = '\(session)'") == "/tmp")
            #expect(a.read(runs) == "first\nsecond\n", "each command ran once")
            let list = try await mcp.call("session_list", [:])
            #expect(list.text.contains("session \(session): ready on host b"), "\(list.text)")
            try await Self.endSession(mcp, opened, at: a)
            await mcp.close()
        }
    }

    @Test("B cut off past its lease while a session is idle: the next command runs on C, in the same cwd, with the same variables and functions")
    func sessionMovesWhenHostLost() async throws {
        try await withRelayWorld(lease: 3) { world in
            try #require(world.hosts.isolated, "needs network namespaces")
            try world.startWorkerHost("b", slots: 2)
            let mcp = try await world.frontend()
            let a = world.spools["a"]!, b = world.spools["b"]!, c = world.spools["c"]!
            let runs = a.root + "/../runs"
            let opened = try await Self.openSession(mcp, runs: runs, first: "cd /tmp && export GREETING=hi; greet() { echo \"$GREETING from $(pwd)\"; }")
            let (session, id) = opened
            #expect(try SessionStore(layout: a.layout).record(id)?.host == "b")
            await world.hosts.setLink("b", up: false)
            try world.startWorkerHost("c", slots: 2)
            let second = try await mcp.call("run", ["command": .string("echo second >> '\(runs)'; greet; echo \"$GREETING\""), "session": .string(session), "wait": 60])
            #expect(second["stdout"] == "hi from /tmp\nhi\n", "\(second.text)")
            #expect(c.read(c.layout.session(id, .cwd)) == "/tmp\n", "the session lives on C")
            #expect(await eventually(timeout: 20) { (try? SessionStore(layout: a.layout).record(id))??.host == "c" }, "A's record names host c")
            #expect(a.read(runs) == "first\nsecond\n", "each command ran once")
            let list = try await mcp.call("session_list", [:])
            #expect(list.text.contains("session \(session): ready on host c"), "\(list.text)")
            // B, back, finds its claim of the session outdated and closes its shell there.
            await world.hosts.setLink("b", up: true)
            #expect(await eventually(timeout: 30) { (try? SessionStore(layout: b.layout).record(id))??.state == .closed }, "B's copy of the session did not close")
            let third = try await mcp.call("run", ["command": .string("echo third >> '\(runs)'; pwd"), "session": .string(session)])
            #expect(third["stdout"] == "/tmp\n", "\(third.text)")
            #expect(a.read(runs) == "first\nsecond\nthird\n", "each command ran once, and none on B after it was back")
            try await Self.endSession(mcp, opened, at: a)
            await mcp.close()
        }
    }

    @Test("kill -9 of B's relay and of B's worker during a session command: it ends once, at A, and the session goes on in its state")
    func sessionCommandCrash() async throws {
        try await withRelayWorld(lease: 15) { world in
            try world.startWorkerHost("b", slots: 2)
            let mcp = try await world.frontend()
            let a = world.spools["a"]!
            let runs = a.root + "/../runs"
            let opened = try await Self.openSession(mcp, runs: runs, first: "cd /tmp && export KEPT=yes")
            let session = opened.session
            let started = try await mcp.call("start", ["command": .string("echo second >> '\(runs)'; \(a.blocker("go")); echo finished"), "session": .string(session)])
            let command = try #require(started["job"]?.stringValue)
            #expect(await eventually(timeout: 20) { (try? a.status(command))??.state == .running }, "running at A")
            if let worker = world.worker("b") { kill(worker.pid, SIGKILL) }
            for pid in world.relayPids("b") { kill(pid, SIGKILL) }
            _ = await world.worker("b")?.wait(timeout: 5)
            try world.startWorkerHost("b", slots: 2)
            a.release("go")
            #expect(await eventually(timeout: 30) { (try? a.status(command))??.state == .succeeded }, "\(String(describing: try? a.status(command)))")
            #expect(a.read(a.layout.job(JobID(command)!, .stdout)) == "finished\n")
            let b = world.spools["b"]!
            #expect((b.read(b.logPath) ?? "").contains("following 2 claimed job(s) again"), "B's new relay took over the opener and the command")
            let third = try await mcp.call("run", ["command": .string("echo third >> '\(runs)'; pwd; echo $KEPT"), "session": .string(session)])
            #expect(third["stdout"] == "/tmp\nyes\n", "\(third.text)")
            #expect(a.read(runs) == "first\nsecond\nthird\n", "each command ran once")
            #expect(try await world.cluster.psql("SELECT state || ' ' || attempts FROM spool_job WHERE id = '\(command)'") == "finished 1")
            try await Self.endSession(mcp, opened, at: a)
            await mcp.close()
        }
    }

    /// The `host_up` and `host_down` events in `spool`'s journal, as "TYPE HOST", in order.
    static func hostEvents(_ spool: TestSpool) -> [String] {
        (spool.read(spool.layout.eventJournal) ?? "").split(separator: "\n").compactMap { line in
            let event = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            guard let type = event?["type"] as? String, type.hasPrefix("host_"), let host = event?["host"] as? String else { return nil }
            return type + " " + host
        }
    }

    /// How often `spool`'s log says its receiving relay refused a host name someone else serves.
    static func refusals(_ spool: TestSpool) -> Int {
        (spool.read(spool.logPath) ?? "").components(separatedBy: "is already served by another receiving relay").count - 1
    }

    @Test("a second worker host with B's name, started while B's jobs are in flight: its relay refuses again and again, naming B's spool and --host; every job runs once, on B")
    func sharedName() async throws {
        try await withRelayWorld(lease: 15) { world in
            try world.startWorkerHost("b", slots: 4)
            let mcp = try await world.frontend()
            let a = world.spools["a"]!, b = world.spools["b"]!, c = world.spools["c"]!
            let ids = try await Self.startJobs(mcp, count: 120, before: "sleep 0.1; ")
            _ = await eventually(timeout: 20) { a.names(a.layout.done).count >= 10 }
            #expect(a.names(a.layout.done).count < 120, "C started while B's jobs were in flight")
            // C, a spool of its own on another machine, but told it is b.
            _ = try c.startWorker(id: "c-worker", slots: 4, extra: world.relayFlags("b"))
            // spool-worker restarts its relay after each refusal: three of them, at least.
            let refusedThrice = await eventually(timeout: 60) { Self.refusals(c) >= 3 }
            #expect(refusedThrice, "refusals in C's log: \(Self.refusals(c))")
            let log = c.read(c.logPath) ?? ""
            #expect(log.contains(b.root), "the refusal names the spool that holds the name")
            #expect(log.contains("--host NAME"), "the refusal says what to do")
            #expect(await waitDone(a, count: 120, timeout: 120), "done at A: \(a.names(a.layout.done).count)")
            try Self.expectResults(ids, at: a)
            #expect(c.names(c.layout.done).isEmpty && c.names(c.layout.jobs).isEmpty, "C ran jobs: \(c.names(c.layout.done).count)")
            #expect(b.names(b.layout.done).count == 120)
            #expect(try await world.cluster.psql("SELECT count(*) FROM spool_job WHERE state = 'finished' AND attempts = 1") == "120")
            if b.names(b.layout.done).count != 120 { world.printLogs() }
            await mcp.close()
        }
    }

    @Test("kill -9 of each relay, of B's worker, and an immediate PostgreSQL restart mid-run lose and repeat nothing")
    func crashes() async throws {
        try await withRelayWorld(lease: 15) { world in
            try world.startWorkerHost("b", slots: 3)
            try world.startWorkerHost("c", slots: 3)
            let mcp = try await world.frontend()
            let a = world.spools["a"]!, b = world.spools["b"]!, c = world.spools["c"]!
            let runLog = a.root + "/../runs"
            let ids = try await Self.startJobs(mcp, count: 150, before: "sleep 0.05; ", runLog: runLog)
            _ = await eventually(timeout: 20) { a.names(a.layout.done).count >= 15 }
            let sending = world.relayPids("a")
            #expect(sending.count == 1 && a.names(a.layout.done).count < 150, "A's relay killed mid-run")
            for pid in sending { kill(pid, SIGKILL) }
            _ = await eventually(timeout: 20) { a.names(a.layout.done).count >= 40 }
            let receiving = world.relayPids("b")
            #expect(receiving.count == 1 && a.names(a.layout.done).count < 150, "B's relay killed mid-run")
            for pid in receiving { kill(pid, SIGKILL) }
            _ = await eventually(timeout: 20) { a.names(a.layout.done).count >= 60 }
            // B's worker itself: its jobs finish under their supervisors; a new life adopts them.
            if let worker = world.worker("b") { kill(worker.pid, SIGKILL) }
            for pid in world.relayPids("b") { kill(pid, SIGKILL) }
            try world.startWorkerHost("b", slots: 3)
            _ = await eventually(timeout: 20) { a.names(a.layout.done).count >= 90 }
            #expect(a.names(a.layout.done).count < 150, "PostgreSQL restarted mid-run")
            try await world.cluster.restartImmediately()
            #expect(await waitDone(a, count: 150, timeout: 120), "done at A: \(a.names(a.layout.done).count)")
            try Self.expectResults(ids, at: a)
            let onB = Set(b.names(b.layout.done)), onC = Set(c.names(c.layout.done))
            #expect(onB.isDisjoint(with: onC), "no job ran on both hosts")
            #expect(onB.count + onC.count == 150)
            #expect(Self.notOnce(runLog, count: 150).isEmpty, "jobs that did not run exactly once (n: runs): \(Self.notOnce(runLog, count: 150).sorted { $0.key < $1.key })")
            #expect(try await world.cluster.psql("SELECT count(*) FROM spool_job WHERE state = 'finished'") == "150")
            await mcp.close()
        }
    }

    @Test("B cut off past its lease: its jobs are lost or retried on C, queued work goes to C, and B's late writes are fenced")
    func partition() async throws {
        try await withRelayWorld(lease: 3) { world in
            try #require(world.hosts.isolated, "needs network namespaces")
            try world.startWorkerHost("b", slots: 2)
            let mcp = try await world.frontend()
            let a = world.spools["a"]!
            let once = try #require(try await mcp.call("start", ["command": "echo begun; sleep 7; echo late"])["job"]?.stringValue)
            let retried = try #require(try await mcp.call("start", ["command": "echo attempt; sleep 7; echo done", "retries": 1])["job"]?.stringValue)
            #expect(await eventually(timeout: 20) {
                [once, retried].allSatisfy { (try? a.status($0))??.state == .running && (try? a.status($0))??.host == "b" }
            })
            await world.hosts.setLink("b", up: false)
            try world.startWorkerHost("c", slots: 2)
            let later = try #require(try await mcp.call("start", ["command": "echo on-c"])["job"]?.stringValue)
            #expect(await eventually(timeout: 30) { (try? a.status(once))??.state == .lost }, "lost at A")
            let lost = try #require(try a.status(once))
            #expect(lost.reason?.contains("lease") == true, "\(lost.reason ?? "")")
            #expect(await eventually(timeout: 30) { (try? a.status(later))??.state == .succeeded })
            #expect(try a.status(later)?.host == "c")
            #expect(await eventually(timeout: 40) { (try? a.status(retried))??.state == .succeeded }, "retried on C")
            #expect(try a.status(retried)?.host == "c")
            #expect(a.read(a.layout.job(JobID(retried)!, .stdout)) == "attempt\ndone\n")
            let lostToken = try await world.cluster.psql("SELECT token FROM spool_job WHERE id = '\(once)'")
            await world.hosts.setLink("b", up: true)
            // B's copies end (or are stopped) once it is back; none of its writes lands. Its
            // relay finds the claim outdated (a refused renewal or write) and says so.
            let b = world.spools["b"]!
            #expect(await eventually(timeout: 30) { (b.read(b.logPath) ?? "").contains("job \(once): ") }, "B's relay never found its claim of \(once) outdated")
            #expect(await eventually(timeout: 30) { b.names(b.layout.done).contains("\(once).json") }, "B's copy of \(once) did not end")
            #expect(try await world.cluster.psql("SELECT state || ' ' || token FROM spool_job WHERE id = '\(once)'") == "lost \(lostToken)")
            #expect(try await world.cluster.psql("SELECT count(*) FROM spool_output WHERE position('late' in convert_from(data, 'UTF8')) > 0") == "0")
            #expect(try await world.cluster.psql("SELECT host || ' ' || state FROM spool_job WHERE id = '\(retried)'") == "c finished")
            #expect(try a.status(once)?.state == .lost)
            await mcp.close()
        }
    }
}
