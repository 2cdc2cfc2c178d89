import Foundation
import Testing

/// MCP 2026-07-28 beside 2025-11-25: discovery, the per-request envelope, the HTTP
/// rules, and `subscriptions/listen`, with raw JSON-RPC against real processes.
@Suite("MCP 2026-07-28", .timeLimit(.minutes(3)))
struct ModernProtocolTests {
    @Test("stdio: server/discover lists both revisions, then every result has resultType and serverInfo; envelope faults are -32602 and -32022")
    func stdioEnvelope() async throws {
        try await withSpool { spool in
            let peer = StdioPeer(try spool.startFrontend(workers: 1))
            let discover = try #require(result(try await peer.request(1, "server/discover", modernParams())))
            #expect(discover["supportedVersions"] as? [String] == ["2026-07-28", "2025-11-25"])
            #expect(discover["resultType"] as? String == "complete")
            #expect(discover["cacheScope"] != nil && discover["ttlMs"] != nil)
            #expect(discover["instructions"] as? String != nil)
            let capabilities = try #require(discover["capabilities"] as? [String: Any])
            #expect((capabilities["extensions"] as? [String: Any])?["io.modelcontextprotocol/tasks"] != nil)
            let serverInfo = ((discover["_meta"] as? [String: Any])?["io.modelcontextprotocol/serverInfo"] as? [String: Any])
            #expect(serverInfo?["name"] as? String == "spool")

            // Tools: the same deterministic order every time, with cache hints.
            let first = try #require(result(try await peer.request(2, "tools/list", modernParams())))
            let second = try #require(result(try await peer.request(3, "tools/list", modernParams())))
            let names = (first["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
            #expect(names.count == 15 && names.first == "run")
            #expect(names == (second["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String })
            #expect(first["ttlMs"] as? Int != nil && first["cacheScope"] as? String != nil && first["resultType"] as? String == "complete")

            // A run: a complete CallToolResult, stamped.
            let run = try #require(result(try await peer.request(4, "tools/call", modernParams(["name": "run", "arguments": ["command": "echo hi; exit 2"]]))))
            #expect(run["isError"] as? Bool == true && run["resultType"] as? String == "complete")
            #expect((run["structuredContent"] as? [String: Any])?["stdout"] as? String == "hi\n")

            // The envelope's faults.
            let bare = try await peer.request(5, "tools/list", ["_meta": ["io.modelcontextprotocol/protocolVersion": "2026-07-28"]])
            #expect(errorCode(bare) == -32602, "\(String(describing: bare))")
            let wrongType = try await peer.request(6, "tools/list", ["_meta": ["io.modelcontextprotocol/protocolVersion": 7, "io.modelcontextprotocol/clientCapabilities": [:] as [String: Any]]])
            #expect(errorCode(wrongType) == -32602)
            let future = try await peer.request(7, "tools/list", ["_meta": ["io.modelcontextprotocol/protocolVersion": "2099-01-01", "io.modelcontextprotocol/clientCapabilities": [:] as [String: Any]]])
            #expect(errorCode(future) == -32022)
            let data = (future?["error"] as? [String: Any])?["data"] as? [String: Any]
            #expect(data?["supported"] as? [String] == ["2026-07-28"] && data?["requested"] as? String == "2099-01-01")
            let unknown = try await peer.request(9, "ping", modernParams())
            #expect(errorCode(unknown) == -32601)

            // Resource not found: -32602 naming the URI (2026-07-28, not -32002).
            let uri = "spool://jobs/01JAAAAAAAAAAAAAAAAAAAAAAA/stdout"
            let missing = try await peer.request(10, "resources/read", modernParams(["uri": uri]))
            #expect(errorCode(missing) == -32602)
            #expect(((missing?["error"] as? [String: Any])?["data"] as? [String: Any])?["uri"] as? String == uri)
            await spool.cleanup()
        }
    }

    @Test("stdio: server/discover, then initialize on the same connection (Claude Code's negotiation), then tools/list and run; one name and version in both revisions")
    func discoverThenInitialize() async throws {
        try await withSpool { spool in
            let peer = StdioPeer(try spool.startFrontend(workers: 1))
            let discover = try #require(result(try await peer.request(1, "server/discover", modernParams())))
            let modernInfo = try #require((discover["_meta"] as? [String: Any])?["io.modelcontextprotocol/serverInfo"] as? [String: Any])
            let initialize = try #require(result(try await peer.request(2, "initialize", ["protocolVersion": "2025-11-25", "capabilities": [:] as [String: Any], "clientInfo": ["name": "claude-code", "version": "2.1.280"]])),
                                          "initialize after server/discover was refused")
            #expect(initialize["protocolVersion"] as? String == "2025-11-25")
            let legacyInfo = try #require(initialize["serverInfo"] as? [String: Any])
            #expect(legacyInfo["name"] as? String == modernInfo["name"] as? String && legacyInfo["name"] as? String == "spool")
            #expect(legacyInfo["version"] as? String == modernInfo["version"] as? String, "\(legacyInfo) against \(modernInfo)")
            try peer.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
            let tools = try #require(result(try await peer.request(3, "tools/list", [:])))
            #expect((tools["tools"] as? [[String: Any]])?.count == 15)
            #expect(tools["resultType"] == nil, "a 2025-11-25 result carries no resultType")
            let run = try #require(result(try await peer.request(4, "tools/call", ["name": "run", "arguments": ["command": "echo negotiated"]])))
            #expect((run["structuredContent"] as? [String: Any])?["stdout"] as? String == "negotiated\n")
            await spool.cleanup()
        }
    }

    @Test("stdio: notifications/message only for a request that set a log level")
    func logLevelOptIn() async throws {
        try await withSpool { spool in
            // No workers yet: both sessions wait, and a notice follows when each opens.
            let peer = StdioPeer(try spool.startFrontend(workers: 0))
            let quiet = try #require(result(try await peer.request(1, "tools/call", modernParams(["name": "session_start", "arguments": [String: Any]()]))))
            let loud = try #require(result(try await peer.request(2, "tools/call", modernParams(["name": "session_start", "arguments": [String: Any]()], logLevel: "info"))))
            let quietID = try #require((quiet["structuredContent"] as? [String: Any])?["session"] as? String, "\(quiet)")
            let loudID = try #require((loud["structuredContent"] as? [String: Any])?["session"] as? String)
            _ = try spool.startWorker(id: "w", slots: 2)
            let notice = try #require(try await peer.next(timeout: 20) { $0["method"] as? String == "notifications/message" })
            let data = (notice["params"] as? [String: Any])?["data"] as? [String: Any]
            #expect(data?["session"] as? String == loudID)
            _ = try await peer.next(timeout: 2) { $0["method"] as? String == "notifications/message" }
            #expect(peer.notifications("notifications/message").isEmpty, "session \(quietID) did not ask for notices")
            await spool.cleanup()
        }
    }

    @Test("stdio: notifications/cancelled of a running run terminates its command")
    func stdioCancelTerminates() async throws {
        try await withSpool { spool in
            let peer = StdioPeer(try spool.startFrontend(workers: 1))
            let marker = spool.root + "/../not-reached"
            try peer.send(["jsonrpc": "2.0", "id": 1, "method": "tools/call",
                           "params": modernParams(["name": "run", "arguments": ["command": spool.blocker("go") + "; touch \(marker)", "wait": 120]], progressToken: "p")])
            let firstProgress = try #require(try await peer.next { $0["method"] as? String == "notifications/progress" })
            let message = ((firstProgress["params"] as? [String: Any])?["message"] as? String) ?? ""
            let job = try #require(message.split(separator: " ").dropFirst().first.map(String.init), "the first progress names the job: \(message)")
            #expect(await eventually(timeout: 30) { (try? spool.status(job))??.state == .running })
            try peer.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": 1, "reason": "user pressed stop"]])
            #expect(await eventually(timeout: 30) { (try? spool.status(job))??.state == .cancelled }, "the job was not terminated")
            spool.release("go") // had it not been terminated, it would now go on to the marker
            let answer = try await peer.next(timeout: 1) { ($0["id"] as? Int) == 1 }
            #expect(answer == nil, "a cancelled request gets no answer")
            #expect(!FileManager.default.fileExists(atPath: marker))
            await spool.cleanup()
        }
    }

    @Test("HTTP: POST only; no session is minted; header faults are -32020; unknown methods 404 with -32601; notifications 202")
    func httpRules() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1)
            let peer = ModernHTTPPeer(port: port)
            let discover = try await peer.post(1, "server/discover", modernParams())
            #expect(discover.status == 200 && discover.headers["mcp-session-id"] == nil)
            #expect(result(discover.answer)?["supportedVersions"] as? [String] == ["2026-07-28", "2025-11-25"])

            // server-stateless: a tools/call on a fresh connection, with no handshake before it.
            let call = try await peer.post(2, "tools/call", modernParams(["name": "run", "arguments": ["command": "echo stateless"]]), name: "run")
            #expect(call.status == 200 && call.headers["mcp-session-id"] == nil)
            #expect((result(call.answer)?["structuredContent"] as? [String: Any])?["stdout"] as? String == "stateless\n")

            // server-stateless: the lists are the same on independent connections, with
            // other requests in between.
            func names(_ method: String, _ field: String, _ key: String) async throws -> [String] {
                let list = try await peer.post(20, method, modernParams())
                #expect(list.status == 200 && list.headers["mcp-session-id"] == nil)
                return ((result(list.answer)?[field] as? [[String: Any]]) ?? []).compactMap { $0[key] as? String }.sorted()
            }
            let tools = try await names("tools/list", "tools", "name")
            let resources = try await names("resources/list", "resources", "uri")
            _ = try await peer.post(21, "server/discover", modernParams())
            _ = try await peer.post(22, "resources/templates/list", modernParams())
            #expect(try await names("tools/list", "tools", "name") == tools && tools.count == 15)
            #expect(try await names("resources/list", "resources", "uri") == resources && !resources.isEmpty)

            let stale = try await peer.post(23, "tools/list", modernParams(), headers: ["Mcp-Session-Id": "stale-session"])
            #expect(stale.status == 200 && stale.headers["mcp-session-id"] == nil, "a stale session id beside a 2026 version is ignored")

            for method in ["GET", "DELETE"] {
                let response = try await httpRequest(port: port, method, "/mcp", headers: ["MCP-Protocol-Version": "2026-07-28"])
                #expect(response.status == 405 && response.headers["allow"] == "POST", "\(method): \(response.status)")
            }
            let bareGet = try await httpRequest(port: port, "GET", "/mcp", headers: ["Accept": "text/event-stream"])
            #expect(bareGet.status == 405)

            let wrongMethod = try await peer.post(3, "tools/list", modernParams(), headers: ["Mcp-Method": "tools/call"])
            #expect(wrongMethod.status == 400 && errorCode(wrongMethod.answer) == -32020)
            let wrongName = try await peer.post(4, "tools/call", modernParams(["name": "run", "arguments": ["command": "true"]]), name: "status")
            #expect(wrongName.status == 400 && errorCode(wrongName.answer) == -32020)
            let noName = try await peer.post(5, "tools/call", modernParams(["name": "run", "arguments": ["command": "true"]]))
            #expect(noName.status == 400 && errorCode(noName.answer) == -32020)
            let versionMismatch = try await peer.post(6, "tools/list", modernParams(), headers: ["MCP-Protocol-Version": "2099-01-01"])
            #expect(versionMismatch.status == 400 && errorCode(versionMismatch.answer) == -32020)
            let unsupported = try await peer.post(7, "tools/list", ["_meta": modernMeta(version: "2099-01-01")], headers: ["MCP-Protocol-Version": "2099-01-01"])
            #expect(unsupported.status == 400 && errorCode(unsupported.answer) == -32022)
            let noEnvelope = try await peer.post(8, "tools/list", [:])
            #expect(noEnvelope.status == 400 && errorCode(noEnvelope.answer) == -32602)
            let unknown = try await peer.post(9, "no/such", modernParams())
            #expect(unknown.status == 404 && errorCode(unknown.answer) == -32601)

            let notification = try HTTPTestConnection(port: port)
            var headers = peer.headers(method: "notifications/cancelled", name: nil)
            headers["Connection"] = "close"
            try notification.send(method: "POST", path: "/mcp", headers: headers,
                                  body: Array(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#.utf8))
            _ = try await notification.readBody()
            #expect(notification.status == 202)

            // Resource not found (conformance: resources not-found): -32602 with data.uri, 400.
            let uri = "spool://jobs/01JAAAAAAAAAAAAAAAAAAAAAAA/stdout"
            let missing = try await peer.post(10, "resources/read", modernParams(["uri": uri]), name: uri)
            #expect(missing.status == 400 && errorCode(missing.answer) == -32602)
            #expect(((missing.answer?["error"] as? [String: Any])?["data"] as? [String: Any])?["uri"] as? String == uri)

            // The 2025-11-25 path is untouched on the same endpoint.
            let legacy = HTTPMCPClient(port: port)
            try await legacy.initialize()
            #expect(!legacy.sessionID.isEmpty)
            await spool.cleanup()
        }
    }

    @Test("HTTP (tools-call-with-progress): progress only on the call's own SSE stream, keep-alive comments, X-Accel-Buffering: no; a closed stream leaves the job running")
    func httpProgressAndHangUp() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 2, extra: ["--progress-keepalive", "0.3"])
            let peer = ModernHTTPPeer(port: port)
            let exchange = try await peer.post(1, "tools/call", modernParams(["name": "run", "arguments": ["command": "echo a; sleep 0.8; echo b"]], progressToken: "tok"), name: "run")
            #expect(exchange.headers["content-type"]?.hasPrefix("text/event-stream") == true)
            #expect(exchange.headers["x-accel-buffering"] == "no")
            let progress = exchange.messages.filter { $0["method"] as? String == "notifications/progress" }
            #expect(progress.count >= 2)
            #expect(progress.allSatisfy { (($0["params"] as? [String: Any])?["progressToken"] as? String) == "tok" })
            #expect((result(exchange.answer)?["structuredContent"] as? [String: Any])?["stdout"] as? String == "a\nb\n")

            // Silence is kept alive with SSE comments.
            let silent = try peer.open(2, "tools/call", modernParams(["name": "run", "arguments": ["command": "sleep 1"]]), name: "run")
            let body = try await silent.readBody(timeout: 30)
            #expect(body.contains(": keep-alive"), "no keep-alive comment in \(body)")

            // Hang up on a run: the wait ends, the job runs on to the end.
            let hangUp = try peer.open(3, "tools/call", modernParams(["name": "run", "arguments": ["command": "sleep 1; echo finished", "wait": 60]], progressToken: "h"), name: "run")
            let first = try #require(try await hangUp.nextEvent()?.json)
            let message = ((first["params"] as? [String: Any])?["message"] as? String) ?? ""
            let job = try #require(message.split(separator: " ").dropFirst().first.map(String.init))
            hangUp.hangUp()
            #expect(await eventually(timeout: 30) { (try? spool.status(job))??.state == .succeeded })
            #expect(spool.read(spool.layout.jobs + "/\(job)/stdout") == "finished\n")
            await spool.cleanup()
        }
    }

    @Test("HTTP (dns-rebinding-protection): a 2026 POST with a foreign Host or Origin is refused before it is read")
    func dnsRebinding() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 0)
            let peer = ModernHTTPPeer(port: port)
            let host = try peer.open(1, "server/discover", modernParams(), headers: ["Host": "evil.example"])
            _ = try await host.readBody()
            #expect(host.status == 403, "Host evil.example: \(host.status) (the conformance suite asks for 403)")
            let legacy = try HTTPTestConnection(port: port)
            try legacy.send(method: "POST", path: "/mcp", headers: ["Host": "evil.example.com", "Content-Type": "application/json", "Accept": "application/json, text/event-stream", "Connection": "close"],
                            body: Array(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#.utf8))
            _ = try await legacy.readBody()
            #expect(legacy.status == 403, "a 2025 initialize with a foreign Host: \(legacy.status)")
            let local = try peer.open(4, "server/discover", modernParams(), headers: ["Host": "localhost:\(port)"])
            _ = try await local.readBody()
            #expect(local.status == 200)
            let origin = try await peer.post(2, "server/discover", modernParams(), headers: ["Origin": "http://evil.example"])
            #expect(origin.status == 403)
            let good = try await peer.post(3, "server/discover", modernParams(), headers: ["Origin": "http://127.0.0.1:\(port)"])
            #expect(good.status == 200)
            await spool.cleanup()
        }
    }

    @Test("subscriptions/listen: the acknowledgement first, every notification tagged, only the types asked for, a job's other stream not sent")
    func listen() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1)
            let peer = ModernHTTPPeer(port: port)
            // The job writes only once the test has its subscription (a fixed sleep lost that race under load).
            let command = spool.blocker("subscribed") + "; for i in 1 2 3; do echo $i; sleep 0.1; done"
            let started = try await peer.post(1, "tools/call", modernParams(["name": "start", "arguments": ["command": command]]), name: "start")
            let job = try #require((result(started.answer)?["structuredContent"] as? [String: Any])?["job"] as? String)
            let uri = "spool://jobs/\(job)/stdout"
            let stream = try peer.open("listen-1", "subscriptions/listen",
                                       modernParams(["notifications": ["resourceSubscriptions": [uri, "spool://jobs/../x/stdout"], "toolsListChanged": true]]))
            let ack = try #require(try await stream.nextEvent()?.json)
            #expect(ack["method"] as? String == "notifications/subscriptions/acknowledged")
            let params = try #require(ack["params"] as? [String: Any])
            #expect((params["_meta"] as? [String: Any])?["io.modelcontextprotocol/subscriptionId"] as? String == "listen-1")
            let honored = try #require(params["notifications"] as? [String: Any])
            #expect(honored["resourceSubscriptions"] as? [String] == [uri])
            #expect(honored["toolsListChanged"] == nil, "list changes are never sent, so they are not acknowledged")
            spool.release("subscribed")
            var updates: [[String: Any]] = []
            while updates.count < 2, let event = try await stream.nextEvent(timeout: 30), let json = event.json {
                updates.append(json)
            }
            #expect(updates.count >= 2)
            for update in updates {
                #expect(update["method"] as? String == "notifications/resources/updated")
                let p = update["params"] as? [String: Any]
                #expect(p?["uri"] as? String == uri)
                #expect((p?["_meta"] as? [String: Any])?["io.modelcontextprotocol/subscriptionId"] as? String == "listen-1")
            }
            let wrongAccept = try await peer.post(3, "subscriptions/listen", modernParams(["notifications": [String: Any]()]), headers: ["Accept": "application/json"])
            #expect(wrongAccept.status == 406)
            await spool.cleanup()
        }
    }

    @Test("subscriptions/listen ends gracefully when spool-mcp shuts down: a final result tagged with the subscription")
    func listenGracefulClose() async throws {
        try await withSpool { spool in
            let (process, port) = try await spool.startHTTP(workers: 0)
            let stream = try ModernHTTPPeer(port: port).open(7, "subscriptions/listen", modernParams(["notifications": [String: Any]()]))
            let ack = try #require(try await stream.nextEvent(timeout: 30)?.json)
            #expect(ack["method"] as? String == "notifications/subscriptions/acknowledged")
            process.signal(SIGTERM)
            let end = try #require(try await stream.nextEvent(timeout: 30)?.json)
            #expect(end["id"] as? Int == 7)
            let meta = result(end)?["_meta"] as? [String: Any]
            #expect(meta?["io.modelcontextprotocol/subscriptionId"] as? Int == 7, "\(end)")
            #expect(await process.wait(timeout: 30) != nil)
            await spool.cleanup()
        }
    }
}
