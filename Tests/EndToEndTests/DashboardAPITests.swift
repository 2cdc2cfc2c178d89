import Foundation
import Spool
import Testing

/// `/api/` over real HTTP (DESIGN.md, "Dashboard"): reads, writes through the tools, and
/// the access rules.
@Suite("dashboard API", .serialized)
struct DashboardAPITests {
    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test("jobs, a job, stats; cancel, promote and rerun from the page's origin; refused from another origin or without JSON")
    func api() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1)
            let origin = "http://127.0.0.1:\(port)"
            // As a browser sends them: Host with the port, the page's Origin, a JSON body.
            let host = "127.0.0.1:\(port)"
            let post = ["Host": host, "Origin": origin, "Content-Type": "application/json"]
            // A job that holds the only slot, one waiting behind it, and one finished.
            let done = try await httpRequest(port: port, "POST", "/api/jobs/x/rerun", headers: post, body: "{}")
            #expect(done.status == 404, "\(done.body)")
            let mcp = HTTPMCPClient(port: port)
            try await mcp.initialize()
            _ = try await mcp.callTool("run", ["command": "echo finished"])
            let holder = try await mcp.callTool("start", ["command": spool.blocker("hold"), "priority": "sync"])
            _ = holder
            let waiting = try await mcp.callTool("start", ["command": "echo 'waits <b>here</b>'"])
            let waitingID = try #require((waiting.last?["result"] as? [String: Any]).flatMap { ($0["structuredContent"] as? [String: Any])?["job"] as? String })

            let list = try await httpRequest(port: port, "GET", "/api/jobs?limit=2")
            #expect(list.status == 200, "\(list.body)")
            let page = Self.json(list.body)
            let rows = page["jobs"] as? [[String: Any]] ?? []
            #expect(rows.count == 2 && rows.first?["job"] as? String == waitingID, "\(list.body)")
            #expect(rows.first?["command"] as? String == "echo 'waits <b>here</b>'")
            let next = try #require(page["next"] as? String)
            let rest = Self.json(try await httpRequest(port: port, "GET", "/api/jobs?before=\(next)").body)
            #expect((rest["jobs"] as? [[String: Any]])?.first?["command"] as? String == "echo finished")
            let queued = Self.json(try await httpRequest(port: port, "GET", "/api/jobs?state=queued").body)
            #expect((queued["jobs"] as? [[String: Any]])?.map { $0["job"] as? String } == [waitingID])
            #expect(try await httpRequest(port: port, "GET", "/api/jobs?state=nonsense").status == 400)

            let detail = Self.json(try await httpRequest(port: port, "GET", "/api/jobs/\(waitingID)").body)
            #expect(detail["command"] as? String == "echo 'waits <b>here</b>'")
            #expect((detail["status"] as? [String: Any])?["state"] as? String == "queued")
            #expect(try await httpRequest(port: port, "GET", "/api/jobs/01JAAAAAAAAAAAAAAAAAAAAAAA").status == 404)
            let stats = Self.json(try await httpRequest(port: port, "GET", "/api/stats").body)
            #expect((stats["queue"] as? [String: Any])?["async"] as? Int == 1, "\(stats)")

            // Writes: another origin, no Origin, or no JSON body are refused, and nothing moves.
            let foreign = try await httpRequest(port: port, "POST", "/api/jobs/\(waitingID)/promote",
                                                headers: ["Host": host, "Origin": "http://127.0.0.1:1", "Content-Type": "application/json"], body: "{}")
            #expect(foreign.status == 403, "\(foreign.body)")
            let noOrigin = try await httpRequest(port: port, "POST", "/api/jobs/\(waitingID)/promote", headers: ["Host": host, "Content-Type": "application/json"], body: "{}")
            #expect(noOrigin.status == 403, "\(noOrigin.body)")
            let form = try await httpRequest(port: port, "POST", "/api/jobs/\(waitingID)/promote",
                                             headers: ["Host": host, "Origin": origin, "Content-Type": "application/x-www-form-urlencoded"], body: "a=b")
            #expect(form.status == 415, "\(form.body)")
            #expect(spool.names(spool.layout.queue(.async)).contains("\(waitingID).json"))

            let promoted = try await httpRequest(port: port, "POST", "/api/jobs/\(waitingID)/promote", headers: post, body: "{}")
            #expect(promoted.status == 200 && Self.json(promoted.body)["outcome"] as? String == "moved", "\(promoted.body)")
            #expect(spool.names(spool.layout.queue(.sync)).contains("\(waitingID).json"))
            let cancelled = try await httpRequest(port: port, "POST", "/api/jobs/\(waitingID)/cancel", headers: post, body: "{}")
            #expect(cancelled.status == 200 && Self.json(cancelled.body)["outcome"] as? String == "dequeued", "\(cancelled.body)")
            let again = try await httpRequest(port: port, "POST", "/api/jobs/\(waitingID)/rerun", headers: post, body: "{}")
            #expect(again.status == 200, "\(again.body)")
            let rerunID = try #require(Self.json(again.body)["job"] as? String)
            #expect(rerunID != waitingID)
            let rerun = Self.json(try await httpRequest(port: port, "GET", "/api/jobs/\(rerunID)").body)
            #expect(rerun["command"] as? String == "echo 'waits <b>here</b>'")
            #expect((rerun["client"] as? [String: Any])?["name"] as? String == "spool-dashboard", "the audit and the request name the dashboard")
            spool.release("hold")
        }
    }

    @Test("/api/history counts finished jobs per minute, and counts the ones that end after the first look")
    func history() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1)
            let mcp = HTTPMCPClient(port: port)
            try await mcp.initialize()
            func finished() async throws -> (total: Int, failed: Int) {
                let window = Self.json(try await httpRequest(port: port, "GET", "/api/history").body)
                let minutes = window["minutes"] as? [[String: Any]] ?? []
                #expect(minutes.count == 60)
                return (minutes.reduce(0) { $0 + ($1["finished"] as? Int ?? 0) }, minutes.reduce(0) { $0 + ($1["failed"] as? Int ?? 0) })
            }
            _ = try await mcp.callTool("run", ["command": "true"])
            _ = try await mcp.callTool("run", ["command": "false"])
            // The recorder appends the events a moment after the replies.
            #expect(try await eventually { try await finished().total >= 2 })
            #expect(try await finished() == (total: 2, failed: 1))
            _ = try await mcp.callTool("run", ["command": "exit 3"])
            #expect(try await eventually { try await finished().total >= 3 }, "a job that ended after the first look is not counted")
            #expect(try await finished() == (total: 3, failed: 2))
        }
    }

    @Test("with --token, /api/ needs it")
    func token() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 0, extra: ["--token", "s3cret"])
            #expect(try await httpRequest(port: port, "GET", "/api/jobs").status == 401)
            #expect(try await httpRequest(port: port, "GET", "/api/stats", headers: ["Authorization": "Bearer wrong"]).status == 401)
            let ok = try await httpRequest(port: port, "GET", "/api/jobs", headers: ["Authorization": "Bearer s3cret"])
            #expect(ok.status == 200 && Self.json(ok.body)["total"] as? Int == 0, "\(ok.body)")
        }
    }
}
