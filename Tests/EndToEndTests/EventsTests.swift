import Foundation
import Spool
import Testing

/// `/events`: the spool's events as SSE, resumable from the journal.
@Suite("Events stream", .timeLimit(.minutes(3)))
struct EventsTests {
    /// Collects `?job=` events until `finished`; returns them in order.
    static func collect(_ connection: HTTPTestConnection, until: (HTTPTestConnection.Event) -> Bool = { $0.event == "finished" },
                        timeout: Double = 20) async throws -> [HTTPTestConnection.Event] {
        var events: [HTTPTestConnection.Event] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, let event = try await connection.nextEvent(timeout: deadline.timeIntervalSinceNow) {
            events.append(event)
            if until(event) { break }
        }
        return events
    }

    static func output(_ events: [HTTPTestConnection.Event]) -> String {
        events.filter { $0.event == "output" }.compactMap { $0.json?["data"] as? String }.joined()
    }

    static func submit(_ spool: TestSpool, _ command: String, priority: Priority = .async) throws -> JobID {
        let id = JobID.make()
        try SpoolQueue(layout: spool.layout, order: QueueOrder(asyncAging: 60))
            .submit(JobRequest(job: id, command: command, priority: priority))
        return id
    }

    @Test("a job printing every 50 ms gives ordered output events, then finished")
    func orderedOutput() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1)
            let id = JobID.make()
            let events = try HTTPTestConnection(port: port)
            try events.send(method: "GET", path: "/events?job=\(id)")
            // The stream has begun (its reader is in place) before the job is submitted.
            try await events.waitForBody(containing: ": spool events")
            #expect(events.headers["content-type"] == "text/event-stream")
            try SpoolQueue(layout: spool.layout, order: QueueOrder(asyncAging: 60))
                .submit(JobRequest(job: id, command: "for i in $(seq 1 10); do echo line$i; sleep 0.05; done; printf 'caf\\303\\251\\n' >&2", priority: .async))
            let seen = try await Self.collect(events)
            let types = seen.compactMap(\.event)
            #expect(types.first == "queued")
            #expect(types.contains("started"))
            #expect(types.last == "finished")
            #expect(seen.last?.json?["exitCode"] as? Int == 0)
            let stdout = seen.filter { $0.event == "output" && $0.json?["stream"] as? String == "stdout" }
            #expect(stdout.compactMap { $0.json?["data"] as? String }.joined() == (1...10).map { "line\($0)\n" }.joined())
            #expect(stdout.count >= 3, "output should arrive as it is written, not at the end")
            // Offsets are contiguous and ids strictly increase.
            var offset = 0
            for event in stdout {
                #expect(event.json?["offset"] as? Int == offset)
                offset += (event.json?["length"] as? Int) ?? 0
            }
            let ids = seen.compactMap { $0.id.flatMap(UInt64.init) }
            #expect(ids == ids.sorted() && Set(ids).count == ids.count)
            let stderr = seen.filter { $0.event == "output" && $0.json?["stream"] as? String == "stderr" }
            #expect(stderr.compactMap { $0.json?["data"] as? String }.joined() == "café\n")
        }
    }

    @Test("reconnecting with Last-Event-ID loses and repeats nothing, also across a restart of spool-mcp")
    func resumeAcrossRestart() async throws {
        try await withSpool { spool in
            // An external worker keeps the job running while spool-mcp is down.
            _ = try spool.startWorker(id: "w1")
            var (frontend, port) = try await spool.startHTTP(workers: 0)
            let id = JobID.make()
            var connection = try HTTPTestConnection(port: port)
            try connection.send(method: "GET", path: "/events?job=\(id)")
            try await connection.readHead()
            try SpoolQueue(layout: spool.layout, order: QueueOrder(asyncAging: 60))
                .submit(JobRequest(job: id, command: "for i in $(seq 1 40); do echo line$i; sleep 0.05; done", priority: .async))
            var seen = try await Self.collect(connection) { ($0.json?["data"] as? String)?.contains("line3\n") == true }
            #expect(!seen.isEmpty)
            // Disconnect, and reconnect to the same server once.
            var last = try #require(seen.last?.id)
            connection = try HTTPTestConnection(port: port)
            try connection.send(method: "GET", path: "/events?job=\(id)", headers: ["Last-Event-ID": last])
            seen += try await Self.collect(connection) { ($0.json?["data"] as? String)?.contains("line8\n") == true }
            last = try #require(seen.last?.id)
            // Then restart spool-mcp while the job goes on printing.
            frontend.signal(SIGKILL)
            _ = await frontend.wait(timeout: 5)
            try await Task.sleep(for: .milliseconds(400))
            (frontend, port) = try await spool.startHTTP(workers: 0)
            connection = try HTTPTestConnection(port: port)
            try connection.send(method: "GET", path: "/events?job=\(id)", headers: ["Last-Event-ID": last])
            seen += try await Self.collect(connection)
            #expect(seen.last?.event == "finished")
            #expect(Self.output(seen) == (1...40).map { "line\($0)\n" }.joined())
            let ids = seen.compactMap { $0.id.flatMap(UInt64.init) }
            #expect(ids == ids.sorted() && Set(ids).count == ids.count, "ids: \(ids)")
        }
    }

    @Test("50 clients and one that never reads: everyone else gets every event, memory stays flat")
    func manyClientsAndAStalledOne() async throws {
        try await withSpool { spool in
            let (frontend, port) = try await spool.startHTTP(workers: 1)
            // The one that never reads, with a small receive buffer so it fills at once.
            let stalled = try HTTPTestConnection(port: port, receiveBuffer: 4096)
            try stalled.send(method: "GET", path: "/events")
            var clients: [HTTPTestConnection] = []
            for _ in 0..<50 {
                let client = try HTTPTestConnection(port: port)
                try client.send(method: "GET", path: "/events")
                // Its stream has begun (its reader is in place) before any job is submitted.
                try await client.waitForBody(containing: ": spool events", timeout: 30)
                clients.append(client)
            }
            // Everyone else gets every event of a few jobs, while one client reads nothing.
            let jobs = try (0..<5).map { try Self.submit(spool, "for i in $(seq 1 200); do echo job$i; done; echo \($0)") }
            for client in clients {
                // Until every job's end: with one slot, the next job runs while the last one's
                // end is filed, so their ends may come in either order.
                var unfinished = Set(jobs.map(\.rawValue))
                let seen = try await Self.collect(client, until: { event in
                    if event.event == "finished", let job = event.json?["job"] as? String { unfinished.remove(job) }
                    return unfinished.isEmpty
                }, timeout: 60)
                for job in jobs {
                    #expect(seen.contains { $0.event == "finished" && $0.json?["job"] as? String == job.rawValue })
                    #expect(Self.output(seen.filter { $0.json?["job"] as? String == job.rawValue }).count > 1000)
                }
            }
            clients.removeAll()
            // 20 MB of output towards the client that never reads, twice: the first job
            // brings the allocator to its working size, the second shows whether the
            // server buffers for the stalled client (it would grow by another 20 MB).
            let watcher = try HTTPTestConnection(port: port)
            try watcher.send(method: "GET", path: "/events")
            // Under load the server may open this stream after a fast job has ended: it would
            // never see that job's events. So the jobs come once the stream has begun.
            try await watcher.waitForBody(containing: ": spool events", timeout: 30)
            var before = 0
            for round in 0..<2 {
                if round == 1 { before = Self.residentKB(frontend.pid) }
                let big = try Self.submit(spool, "head -c 20000000 /dev/zero | tr '\\0' a")
                let seen = try await Self.collect(watcher, until: { $0.event == "finished" && $0.json?["job"] as? String == big.rawValue }, timeout: 120)
                #expect(seen.last?.json?["job"] as? String == big.rawValue,
                        "round \(round): \(seen.count) events, the last: \(seen.suffix(3).map { "\($0.event ?? "-") \($0.data.prefix(120))" }); server log: \((spool.read(spool.root + "/../http-1.log") ?? "").suffix(2000))")
            }
            let after = Self.residentKB(frontend.pid)
            #expect(after - before < 12 * 1024, "spool-mcp grew from \(before) kB to \(after) kB while one client read nothing")
            _ = stalled
        }
    }

    static func residentKB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
