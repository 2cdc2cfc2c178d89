import Foundation
import Spool
import Testing

/// MCP over Streamable HTTP with real processes on loopback.
@Suite("HTTP transport", .timeLimit(.minutes(2)))
struct HTTPTransportTests {
    @Test("an MCP client over HTTP runs a command and gets progress on the request's stream")
    func runWithProgress() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1)
            let client = HTTPMCPClient(port: port)
            try await client.initialize()
            #expect(!client.sessionID.isEmpty)
            let messages = try await client.callTool("run", ["command": "for i in 1 2 3 4 5; do echo line$i; sleep 0.05; done"], progressToken: "tok")
            let progress = messages.filter { $0["method"] as? String == "notifications/progress" }
            #expect(progress.count >= 2, "progress notifications: \(progress)")
            #expect(progress.allSatisfy { (($0["params"] as? [String: Any])?["progressToken"] as? String) == "tok" })
            let result = try #require(messages.last?["result"] as? [String: Any])
            let structured = try #require(result["structuredContent"] as? [String: Any])
            #expect(structured["exitCode"] as? Int == 0)
            #expect(structured["stdout"] as? String == "line1\nline2\nline3\nline4\nline5\n")

            // The job's output is a resource too.
            let job = try #require(structured["job"] as? String)
            let read = try client.post(["jsonrpc": "2.0", "id": 50, "method": "resources/read", "params": ["uri": "spool://jobs/\(job)/stdout"]])
            let answer = try #require(try await read.nextEvent()?.json?["result"] as? [String: Any])
            let contents = try #require(answer["contents"] as? [[String: Any]])
            #expect(contents.first?["text"] as? String == "line1\nline2\nline3\nline4\nline5\n")
            let templates = try client.post(["jsonrpc": "2.0", "id": 51, "method": "resources/templates/list"])
            let listed = try #require(try await templates.nextEvent()?.json?["result"] as? [String: Any])
            // A job's two streams and a session (spool://sessions/<id>); files only with --watch.
            #expect((listed["resourceTemplates"] as? [[String: Any]])?.compactMap { $0["uriTemplate"] as? String }.sorted()
                == ["spool://jobs/{job}/screen", "spool://jobs/{job}/stderr", "spool://jobs/{job}/stdout", "spool://sessions/{session}"])
            let bad = try client.post(["jsonrpc": "2.0", "id": 52, "method": "resources/read", "params": ["uri": "spool://jobs/../x/stdout"]])
            let error = try #require(try await bad.nextEvent()?.json?["error"] as? [String: Any])
            #expect((error["message"] as? String)?.contains("spool://jobs/<job id>/stdout") == true)

            // DELETE ends the session; the id is then unknown.
            let delete = try await httpRequest(port: port, "DELETE", "/mcp", headers: ["Mcp-Session-Id": client.sessionID])
            #expect(delete.status == 200)
            let after = try await httpRequest(port: port, "POST", "/mcp",
                                              headers: ["Mcp-Session-Id": client.sessionID, "Content-Type": "application/json", "Accept": HTTPMCPClient.accept],
                                              body: #"{"jsonrpc":"2.0","id":9,"method":"tools/list"}"#)
            #expect(after.status == 404)
        }
    }

    @Test("a subscribed job's output arrives as resources/updated on the GET stream")
    func resourceSubscription() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1)
            let client = HTTPMCPClient(port: port)
            try await client.initialize()
            let stream = try HTTPTestConnection(port: port)
            try stream.send(method: "GET", path: "/mcp", headers: ["Accept": "text/event-stream", "Mcp-Session-Id": client.sessionID])
            try await stream.readHead()
            #expect(stream.status == 200)
            let started = try await client.callTool("start", ["command": "\(spool.blocker("go")); echo one; echo two"])
            let job = try #require(((started.last?["result"] as? [String: Any])?["structuredContent"] as? [String: Any])?["job"] as? String)
            let uri = "spool://jobs/\(job)/stdout"
            let subscribe = try client.post(["jsonrpc": "2.0", "id": 60, "method": "resources/subscribe", "params": ["uri": uri]])
            #expect(try await subscribe.nextEvent()?.json?["result"] != nil)
            spool.release("go")
            var updated = false
            while let event = try await stream.nextEvent(timeout: 10) {
                let json = event.json
                if json?["method"] as? String == "notifications/resources/updated", (json?["params"] as? [String: Any])?["uri"] as? String == uri {
                    updated = true
                    break
                }
            }
            #expect(updated)
        }
    }

    @Test("bad requests get clear HTTP errors: Origin, bodies, sessions, JSON, filters")
    func refusals() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 0, extra: ["--token", "s3cret"])
            let auth = ["Authorization": "Bearer s3cret"]
            let json = ["Content-Type": "application/json", "Accept": HTTPMCPClient.accept]
            let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#

            #expect(try await httpRequest(port: port, "POST", "/mcp", headers: json, body: initialize).status == 401)
            #expect(try await httpRequest(port: port, "POST", "/mcp", headers: json.merging(["Authorization": "Bearer wrong"]) { $1 }, body: initialize).status == 401)
            #expect(try await httpRequest(port: port, "GET", "/health").status == 503) // no token needed; no worker alive
            let evil = try await httpRequest(port: port, "POST", "/mcp", headers: json.merging(auth) { $1 }.merging(["Origin": "http://evil.example"]) { $1 }, body: initialize)
            #expect(evil.status == 403)
            #expect(evil.body.contains("--allow-origin"))
            #expect(try await httpRequest(port: port, "GET", "/events", headers: auth.merging(["Origin": "http://evil.example"]) { $1 }).status == 403)
            let local = try await httpRequest(port: port, "POST", "/mcp", headers: json.merging(auth) { $1 }.merging(["Origin": "http://localhost:3000"]) { $1 }, body: initialize)
            #expect(local.status == 200)
            #expect(try await httpRequest(port: port, "POST", "/mcp", headers: json.merging(auth) { $1 }, body: "{not json").status == 400)
            #expect(try await httpRequest(port: port, "POST", "/mcp", headers: json.merging(auth) { $1 }.merging(["Mcp-Session-Id": "nope"]) { $1 },
                                          body: #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#).status == 404)
            // Refused from its Content-Length, before the body, and the connection is closed.
            let huge = try HTTPTestConnection(port: port)
            try await huge.sendRaw("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret\r\nContent-Type: application/json\r\nContent-Length: \(5 << 20)\r\n\r\n")
            #expect(try await huge.waitClosed(timeout: 30)) // at once; the time is for a loaded machine
            #expect(huge.status == 413)
            #expect(try await httpRequest(port: port, "GET", "/events?job=../x", headers: auth).status == 400)
            #expect(try await httpRequest(port: port, "GET", "/events", headers: auth.merging(["Last-Event-ID": "abc"]) { $1 }).status == 400)
            let metrics = try await httpRequest(port: port, "GET", "/metrics", headers: auth)
            #expect(metrics.status == 200)
            #expect(metrics.body.contains("spool_queue_depth{priority=\"sync\"}"))
            #expect(metrics.body.contains("spool_workers"))
        }
    }

    @Test("a non-loopback bind without a token refuses to start")
    func nonLoopbackNeedsToken() async throws {
        try await withSpool { spool in
            let child = try spool.startFrontend(workers: 0, extra: ["--http", "0.0.0.0:0"])
            let status = await child.wait(timeout: 20)
            #expect(status != nil && status != 0)
            #expect(spool.read(spool.logPath)?.contains("--token") == true)
        }
    }

    @Test("SIGTERM with MCP and event streams attached exits within seconds")
    func sigtermWithClients() async throws {
        try await withSpool { spool in
            let (frontend, port) = try await spool.startHTTP(workers: 1)
            let client = HTTPMCPClient(port: port)
            try await client.initialize()
            let mcpStream = try HTTPTestConnection(port: port)
            try mcpStream.send(method: "GET", path: "/mcp", headers: ["Accept": "text/event-stream", "Mcp-Session-Id": client.sessionID])
            try await mcpStream.readHead()
            var events: [HTTPTestConnection] = []
            for _ in 0..<3 {
                let connection = try HTTPTestConnection(port: port)
                try connection.send(method: "GET", path: "/events")
                try await connection.readHead()
                events.append(connection)
            }
            let pending = try client.post(["jsonrpc": "2.0", "id": 70, "method": "tools/call",
                                           "params": ["name": "run", "arguments": ["command": spool.blocker("never")]]])
            try await Task.sleep(for: .milliseconds(300))
            frontend.signal(SIGTERM)
            let status = await frontend.wait(timeout: 30) // the workers get 3 s; the rest is a loaded machine
            #expect(status == 0, "spool-mcp did not exit in time after SIGTERM")
            _ = pending
            spool.release("never")
        }
    }

    @Test("a POST whose body is JSON but no message (a batch, a string, a number) gets -32600; only a body that is not JSON gets -32700")
    func invalidRequestBodies() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 0)
            let cases: [(String, Int)] = [
                (#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, -32600), (#"" ""#, -32600), ("5", -32600), ("not json", -32700),
            ]
            for (body, code) in cases {
                let connection = try HTTPTestConnection(port: port)
                try connection.send(method: "POST", path: "/mcp", headers: [
                    "Host": "127.0.0.1:\(port)", "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                ], body: Array(body.utf8))
                let text = try await connection.readBody()
                #expect(connection.status == 400, "\(body): \(connection.status)")
                let answer = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                #expect((answer?["error"] as? [String: Any])?["code"] as? Int == code, "\(body): \(text)")
            }
            await spool.cleanup()
        }
    }
}
