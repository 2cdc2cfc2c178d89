import Foundation
import Spool
import Testing

/// Jobs as MCP Tasks (`io.modelcontextprotocol/tasks`), with raw JSON-RPC on HTTP.
@Suite("MCP Tasks", .timeLimit(.minutes(3)))
struct TasksTests {
    static func task(_ exchange: ModernExchange) -> [String: Any]? { result(exchange.answer) }

    func get(_ peer: ModernHTTPPeer, _ id: String, _ n: Int) async throws -> [String: Any]? {
        Self.task(try await peer.post(n, "tasks/get", modernParams(["taskId": id], tasks: true), name: id))
    }

    /// Polls `tasks/get` every 100 ms until the task reaches a terminal status, at most
    /// `tries` times; returns the last answer.
    func settled(_ peer: ModernHTTPPeer, _ id: String, tries: Int) async throws -> [String: Any]? {
        var task: [String: Any]?
        for n in 0..<tries {
            task = try await get(peer, id, 1000 + n)
            if let status = task?["status"] as? String, ["completed", "failed", "cancelled"].contains(status) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return task
    }

    @Test("start gives a task (durable file, 128-bit id); tasks/get: working while queued (position) and running (last line), completed with a failing exit; tasks/cancel; unknown ids")
    func lifecycle() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 0)
            let peer = ModernHTTPPeer(port: port)
            let created = try await peer.post(1, "tools/call", modernParams(["name": "start", "arguments": ["command": "echo first; echo second; " + spool.blocker("go") + "; exit 3"]], tasks: true), name: "start")
            let task = try #require(Self.task(created), "\(created.messages)")
            #expect(task["resultType"] as? String == "task")
            #expect(task["status"] as? String == "working")
            let id = try #require(task["taskId"] as? String)
            #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
            #expect(task["ttlMs"] != nil && task["pollIntervalMs"] as? Int != nil && task["createdAt"] as? String != nil)
            #expect(task["result"] == nil && task["error"] == nil)
            // Durable before the answer: the record is in the spool.
            let record = try #require(spool.read(spool.root + "/tasks/\(id).json"))
            let job = try #require((try JSONSerialization.jsonObject(with: Data(record.utf8)) as? [String: Any])?["job"] as? String)

            let queued = try #require(try await get(peer, id, 2))
            #expect(queued["status"] as? String == "working" && queued["resultType"] as? String == "complete")
            #expect((queued["statusMessage"] as? String)?.contains("position 1") == true, "\(queued)")

            _ = try spool.startWorker(id: "w")
            #expect(await eventually(timeout: 30) { (try? spool.status(job))??.state == .running })
            #expect(await eventually(timeout: 30) {
                FileManager.default.contents(atPath: spool.layout.jobs + "/\(job)/stdout").map { String(decoding: $0, as: UTF8.self) } == "first\nsecond\n"
            })
            let running = try #require(try await get(peer, id, 3))
            #expect(running["status"] as? String == "working")
            #expect(running["statusMessage"] as? String == "second", "\(running)")

            spool.release("go")
            #expect(await eventually(timeout: 30) { (try? spool.status(job))??.state == .failed })
            let done = try #require(try await get(peer, id, 4))
            #expect(done["status"] as? String == "completed", "a non-zero exit is still completed: \(done)")
            let final = try #require(done["result"] as? [String: Any])
            #expect(final["isError"] as? Bool == true)
            #expect((final["structuredContent"] as? [String: Any])?["exitCode"] as? Int == 3)
            #expect((final["structuredContent"] as? [String: Any])?["stdout"] as? String == "first\nsecond\n")

            // Cancel: acknowledged, the job is terminated, the task reads cancelled.
            let long = try #require(Self.task(try await peer.post(5, "tools/call", modernParams(["name": "start", "arguments": ["command": "sleep 30"]], tasks: true), name: "start")))
            let longID = try #require(long["taskId"] as? String)
            let ack = try await peer.post(6, "tasks/cancel", modernParams(["taskId": longID], tasks: true), name: longID)
            #expect(ack.status == 200 && result(ack.answer)?["resultType"] as? String == "complete")
            #expect(await eventually(timeout: 30) { (try? JSONSerialization.jsonObject(with: Data((spool.read(spool.root + "/tasks/\(longID).json") ?? "").utf8))) != nil })
            let cancelled = try await settled(peer, longID, tries: 50)
            #expect(cancelled?["status"] as? String == "cancelled")

            // tasks/update: acknowledged, nothing asked.
            let update = try await peer.post(7, "tasks/update", modernParams(["taskId": longID, "inputResponses": [String: Any]()], tasks: true), name: longID)
            #expect(update.status == 200 && result(update.answer) != nil)

            // Unknown ids: -32602, and a path-like id never reaches the disk.
            for bad in ["ffffffffffffffffffffffffffffffff", "../x", String(repeating: "a", count: 5000)] {
                let unknown = try await peer.post(8, "tasks/get", modernParams(["taskId": bad], tasks: true), name: bad.count < 100 ? bad : nil,
                                                  headers: bad.count < 100 ? [:] : ["Mcp-Name": bad])
                #expect(errorCode(unknown.answer) == -32602, "\(bad.prefix(40)): \(unknown.messages)")
            }
            let cancelUnknown = try await peer.post(9, "tasks/cancel", modernParams(["taskId": "ffffffffffffffffffffffffffffffff"], tasks: true), name: "ffffffffffffffffffffffffffffffff")
            #expect(result(cancelUnknown.answer) != nil, "tasks/cancel acknowledges any id")
            await spool.cleanup()
        }
    }

    @Test("a request without the extension never gets a task; a run that outlasts its wait returns one")
    func onlyWithExtension() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1)
            let peer = ModernHTTPPeer(port: port)
            let plain = try #require(Self.task(try await peer.post(1, "tools/call", modernParams(["name": "start", "arguments": ["command": "true"]]), name: "start")))
            #expect(plain["resultType"] as? String == "complete" && plain["taskId"] == nil)
            // Long enough a wait for a loaded machine's worker to have started it (it then says running).
            let slowPlain = try #require(Self.task(try await peer.post(2, "tools/call", modernParams(["name": "run", "arguments": ["command": "sleep 3", "wait": 1]]), name: "run")))
            #expect(slowPlain["resultType"] as? String == "complete" && slowPlain["taskId"] == nil)
            #expect((slowPlain["structuredContent"] as? [String: Any])?["state"] as? String == "running")
            let quick = try #require(Self.task(try await peer.post(3, "tools/call", modernParams(["name": "run", "arguments": ["command": "echo quick"]], tasks: true), name: "run")))
            #expect(quick["resultType"] as? String == "complete", "a run that ends within its wait is answered directly")
            let slow = try #require(Self.task(try await peer.post(4, "tools/call", modernParams(["name": "run", "arguments": ["command": "sleep 1; echo late", "wait": 0.2]], tasks: true), name: "run")))
            #expect(slow["resultType"] as? String == "task")
            let id = try #require(slow["taskId"] as? String)
            let final = try await settled(peer, id, tries: 60)
            #expect(final?["status"] as? String == "completed")
            #expect(((final?["result"] as? [String: Any])?["structuredContent"] as? [String: Any])?["stdout"] as? String == "late\n")
            #expect(spool.names(spool.root + "/tasks").count == 1, "only the task-bearing answer made a task")
            await spool.cleanup()
        }
    }

    @Test("a task id survives kill -9 and a restart of spool-mcp")
    func survivesRestart() async throws {
        try await withSpool { spool in
            let (first, port) = try await spool.startHTTP(workers: 0)
            let peer = ModernHTTPPeer(port: port)
            let task = try #require(Self.task(try await peer.post(1, "tools/call", modernParams(["name": "start", "arguments": ["command": "echo survived"]], tasks: true), name: "start")))
            let id = try #require(task["taskId"] as? String)
            kill(first.pid, SIGKILL)
            _ = await first.wait(timeout: 10)
            let (_, newPort) = try await spool.startHTTP(workers: 1)
            let again = ModernHTTPPeer(port: newPort)
            let final = try await settled(again, id, tries: 100)
            #expect(final?["taskId"] as? String == id)
            #expect(final?["status"] as? String == "completed")
            #expect(((final?["result"] as? [String: Any])?["structuredContent"] as? [String: Any])?["stdout"] as? String == "survived\n")
            await spool.cleanup()
        }
    }

    @Test("listen with tasksStatus: notifications/tasks/status for the task, up to its completion, tagged")
    func statusNotifications() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1)
            let peer = ModernHTTPPeer(port: port)
            let task = try #require(Self.task(try await peer.post(1, "tools/call", modernParams(["name": "start", "arguments": ["command": "sleep 0.5; echo one; sleep 0.3"]], tasks: true), name: "start")))
            let id = try #require(task["taskId"] as? String)
            let stream = try peer.open("L", "subscriptions/listen", modernParams(["notifications": ["tasksStatus": [id, "00000000000000000000000000000000"]]], tasks: true))
            let ack = try #require(try await stream.nextEvent()?.json)
            #expect(((ack["params"] as? [String: Any])?["notifications"] as? [String: Any])?["tasksStatus"] as? [String] == [id])
            var statuses: [[String: Any]] = []
            while let event = try await stream.nextEvent(timeout: 30), let json = event.json {
                #expect(json["method"] as? String == "notifications/tasks/status")
                let params = try #require(json["params"] as? [String: Any])
                #expect((params["_meta"] as? [String: Any])?["io.modelcontextprotocol/subscriptionId"] as? String == "L")
                #expect(params["taskId"] as? String == id)
                statuses.append(params)
                if params["status"] as? String != "working" { break }
            }
            #expect(statuses.last?["status"] as? String == "completed")
            #expect(((statuses.last?["result"] as? [String: Any])?["structuredContent"] as? [String: Any])?["stdout"] as? String == "one\n")
            await spool.cleanup()
        }
    }
}
