import Foundation
import Testing

/// An MCP client that subscribes and then stops reading costs bounded memory and is
/// disconnected; the resource updates it is sent are coalesced per URI.
@Suite("HTTP stream bounds", .timeLimit(.minutes(2)))
struct HTTPStreamBoundsTests {
    @Test("a subscribed client that never reads: spool-mcp grows less than 16 MB while a job prints 50 MB (updates are coalesced per URI)")
    func stalledSubscriber() async throws {
        try await withSpool { spool in
            let (frontend, port) = try await spool.startHTTP(workers: 1, extra: ["--http-stall-timeout", "3"])
            let client = HTTPMCPClient(port: port)
            try await client.initialize()
            let started = try await client.callTool("start", ["command": spool.blocker("go") + "; dd if=/dev/zero bs=400 count=125000 status=none"])
            let result = try #require(started.last?["result"] as? [String: Any])
            let job = try #require((result["structuredContent"] as? [String: Any])?["job"] as? String)
            // The GET stream, with a tiny receive buffer, never read.
            let stalled = try HTTPTestConnection(port: port, receiveBuffer: 4096)
            try stalled.send(method: "GET", path: "/mcp", headers: ["Accept": "text/event-stream", "Mcp-Session-Id": client.sessionID])
            _ = try await client.callTool("stats", [:]) // a round trip: the GET stream is registered by now
            let subscribe = try client.post(["jsonrpc": "2.0", "id": 50, "method": "resources/subscribe", "params": ["uri": "spool://jobs/\(job)/stdout"]])
            _ = try await subscribe.readBody()
            let before = EventsTests.residentKB(frontend.pid)
            spool.release("go")
            let done = await eventually(timeout: 60) { (try? spool.status(job))?.state == .succeeded }
            #expect(done)
            try await Task.sleep(for: .seconds(1))
            let after = EventsTests.residentKB(frontend.pid)
            #expect(after - before < 16 * 1024, "spool-mcp grew from \(before) kB to \(after) kB for a client that reads nothing")
            _ = stalled
            // The session itself goes on for its other streams.
            let again = try await client.callTool("status", ["job": job])
            #expect(again.last?["result"] != nil)
        }
    }

    @Test("an /events client that stops reading is disconnected after the stall timeout")
    func stalledEventsClient() async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1, extra: ["--http-stall-timeout", "2"])
            let stalled = try HTTPTestConnection(port: port, receiveBuffer: 4096)
            try stalled.send(method: "GET", path: "/events")
            try await stalled.readHead()
            let client = HTTPMCPClient(port: port)
            try await client.initialize()
            _ = try await client.callTool("run", ["command": "head -c 20000000 /dev/zero | tr '\\0' a", "wait": 60])
            // Nothing read for a while: the server's write has been waiting since the buffers filled.
            try await Task.sleep(for: .seconds(4))
            #expect(try await stalled.waitClosed(timeout: 20), "a client that stopped reading was never disconnected")
        }
    }
}
