import Foundation
import MCP
import Spool
import Testing

/// DESIGN.md, "Audit log": `spool/audit/<date>.jsonl` says who ran what, read here with
/// plain file reads.
@Suite("audit log", .serialized, .timeLimit(.minutes(3)))
struct AuditTests {
    /// Every line of every audit file, decoded.
    static func lines(_ spool: TestSpool) -> [AuditEntry] {
        let folder = spool.layout.audit
        return spool.names(folder).filter { $0.hasSuffix(".jsonl") }.flatMap { name in
            (spool.read(folder + "/" + name) ?? "").split(separator: "\n").compactMap { line in
                try? JSONDecoder().decode(AuditEntry.self, from: Data(line.utf8))
            }
        }
    }

    static func line(_ spool: TestSpool, _ event: AuditEntry.Event, job: String) -> AuditEntry? {
        lines(spool).first { $0.event == event && $0.job?.rawValue == job }
    }

    @Test("a 2025-11-25 client: run, start then cancel, a refused request, each with the client; env names, never values")
    func legacyClient() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            #expect(Self.lines(spool).first?.event == .policy, "the first line is the effective policy")
            let ran = try await mcp.call("run", ["command": "echo hi", "env": ["SECRET_TOKEN": "hunter2-value"]])
            let ranID = try #require(ran["job"]?.stringValue)
            #expect(try await eventually { Self.line(spool, .finished, job: ranID) != nil })
            let accepted = try #require(Self.line(spool, .accepted, job: ranID))
            #expect(accepted.command == "echo hi" && accepted.env == ["SECRET_TOKEN"] && accepted.tool == "run")
            let client = try #require(accepted.client)
            #expect(client.name == "spool-tests" && client.version == "1.0" && client.transport == .stdio)
            #expect(client.revision == "2025-11-25" && client.token == false)
            #expect(Self.line(spool, .started, job: ranID)?.client?.name == "spool-tests")
            let finished = try #require(Self.line(spool, .finished, job: ranID))
            #expect(finished.state == .succeeded && finished.exitCode == 0 && finished.client?.name == "spool-tests")
            let everything = spool.names(spool.layout.audit).map { spool.read(spool.layout.audit + "/" + $0) ?? "" }.joined()
            #expect(!everything.contains("hunter2-value"), "an env value never reaches the log")
            // The request file says who asked, too.
            let request = spool.read(spool.layout.job(JobID(ranID)!, .request)) ?? ""
            #expect(request.contains("\"name\":\"spool-tests\""), "\(request)")

            let started = try await mcp.call("start", ["command": .string(spool.blocker("never"))])
            let startedID = try #require(started["job"]?.stringValue)
            #expect(try await eventually { try spool.status(startedID)?.state == .running })
            _ = try await mcp.call("cancel", ["job": .string(startedID)])
            #expect(try await eventually { Self.line(spool, .finished, job: startedID) != nil })
            #expect(Self.line(spool, .accepted, job: startedID)?.tool == "start")
            #expect(Self.line(spool, .cancelled, job: startedID)?.client?.name == "spool-tests")
            #expect(Self.line(spool, .finished, job: startedID)?.state == .cancelled)

            let refused = try await mcp.call("run", ["command": "echo no", "timeout": -1])
            #expect(refused.isError == true)
            let line = try #require(Self.lines(spool).first { $0.event == .refused })
            #expect(line.command == "echo no" && line.tool == "run" && line.reason?.contains("timeout") == true, "\(line)")
            #expect(line.client?.name == "spool-tests")
        }
    }

    @Test("a 2026-07-28 client on stdio: the envelope's clientInfo; after kill -9 right after a start reply, its accepted line is there")
    func modernClientAndKill() async throws {
        try await withSpool { spool in
            let process = try spool.startFrontend(workers: 1)
            let peer = StdioPeer(process)
            let reply = try await peer.request(1, "tools/call", modernParams(["name": "start", "arguments": ["command": "sleep 30"]]))
            let structured = try #require(result(reply)?["structuredContent"] as? [String: Any], "\(String(describing: reply))")
            let id = try #require(structured["job"] as? String)
            process.signal(SIGKILL)
            let accepted = try #require(Self.line(spool, .accepted, job: id))
            #expect(accepted.client?.name == "spool-tests" && accepted.client?.version == "1")
            #expect(accepted.client?.revision == "2026-07-28" && accepted.client?.transport == .stdio)
            #expect(accepted.command == "sleep 30")
        }
    }

    @Test("over HTTP the line has the peer's address and whether a token was used (never the token)")
    func httpPeer() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1, extra: ["--token", "audit-secret-token"])
            let peer = ModernHTTPPeer(port: port)
            let exchange = try await peer.post(1, "tools/call", modernParams(["name": "run", "arguments": ["command": "echo via-http"]]),
                                               name: "run", headers: ["Authorization": "Bearer audit-secret-token"])
            let structured = try #require(result(exchange.answer)?["structuredContent"] as? [String: Any], "\(exchange.rawBody)")
            let id = try #require(structured["job"] as? String)
            let accepted = try #require(Self.line(spool, .accepted, job: id))
            let client = try #require(accepted.client)
            #expect(client.transport == .http && client.token == true)
            #expect(client.peer?.hasPrefix("127.0.0.1:") == true, "\(String(describing: client.peer))")
            let everything = spool.names(spool.layout.audit).map { spool.read(spool.layout.audit + "/" + $0) ?? "" }.joined()
            #expect(!everything.contains("audit-secret-token"))
        }
    }

    @Test("a 2025-11-25 client over HTTP: the line has its MCP session id, its peer, and no token")
    func legacyHTTPSession() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1)
            let client = HTTPMCPClient(port: port)
            try await client.initialize()
            let messages = try await client.callTool("run", ["command": "echo session"])
            let result = try #require(messages.last?["result"] as? [String: Any])
            let id = try #require((result["structuredContent"] as? [String: Any])?["job"] as? String)
            let line = try #require(Self.line(spool, .accepted, job: id))
            let audited = try #require(line.client)
            #expect(audited.mcpSession == client.sessionID && !client.sessionID.isEmpty)
            #expect(audited.transport == .http && audited.token == false && audited.peer?.hasPrefix("127.0.0.1:") == true)
            #expect(audited.name == "spool-tests" && audited.version == "1" && audited.revision == "2025-11-25")
        }
    }

    @Test("a request dropped into the queue by hand that Spool will not accept is a refused line with the reason")
    func quarantined() async throws {
        try await withMCP(workers: 1) { spool, _ in
            let id = JobID.make()
            try Data("{not json".utf8).write(to: URL(fileURLWithPath: spool.layout.tmp + "/bad"))
            #expect(rename(spool.layout.tmp + "/bad", spool.layout.queued(id, .async)) == 0)
            #expect(try await eventually { Self.line(spool, .refused, job: id.rawValue) != nil })
            let line = try #require(Self.line(spool, .refused, job: id.rawValue))
            #expect(line.reason?.contains("bad/") == true && line.client == nil, "\(line)")
        }
    }

    @Test("a backup restore is a restored line with the commit and the client")
    func restore() async throws {
        let repo = try GitRepository()
        try repo.commit(["a.txt": "a\n"], message: "one")
        try await withMCP(workers: 1, extra: ["--backup", repo.path, "--backup-idle", "0.2"]) { spool, mcp in
            try repo.write("a.txt", "changed\n")
            // The idle backup is a commit on refs/spool/backups once the change has settled.
            #expect(try await eventually(timeout: 20) { (try? repo.git("rev-parse", "-q", "--verify", "refs/spool/backups")) != nil })
            let commit = try repo.git("rev-parse", "refs/spool/backups")
            let restored = try await mcp.call("backup_restore", ["backup": .string(commit)])
            #expect(restored.isError != true, "\(restored.text)")
            let line = try #require(Self.lines(spool).first { $0.event == .restored })
            #expect(line.commit == commit && line.client?.name == "spool-tests")
        }
    }
}
