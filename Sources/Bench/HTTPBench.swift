import Foundation
import Glibc
import ProcessHarness

/// Figures for HTTP mode: `run true` round trip over Streamable HTTP, and how long output
/// takes from the job's write to the client's `/events` stream.
struct HTTPBench {
    let bin: String
    let calls: Int

    func run() async throws {
        let bench = try BenchSpool()
        defer { bench.remove() }
        let (mcp, port) = try Self.launch(bin: bin, bench: bench, ["--workers", "1"])
        defer { Task { await mcp.killGroup() } }

        // run true over one keep-alive connection, as an MCP client does.
        let connection = try BlockingHTTP(port: port)
        let (_, headers) = try connection.postSSE(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#, session: nil)
        let session = headers["mcp-session-id"] ?? ""
        _ = try connection.postSSE(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, session: session)
        var samples: [Double] = []
        for index in 0..<(calls + 20) {
            let body = #"{"jsonrpc":"2.0","id":\#(index + 1),"method":"tools/call","params":{"name":"run","arguments":{"command":"true"}}}"#
            let elapsed = try BenchCommand.time {
                let (text, _) = try connection.postSSE(body, session: session)
                guard text.contains(#""state":"succeeded""#) else { throw BenchError.protocolError("run true over HTTP: \(text.prefix(300))") }
            }
            if index >= 20 { samples.append(elapsed) }
        }

        // Write-to-event latency: each line carries the wall-clock time it was written.
        let events = try BlockingHTTP(port: port)
        try events.sendRequest("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try events.readHead()
        let lines = 300
        let start = #"{"jsonrpc":"2.0","id":9999,"method":"tools/call","params":{"name":"start","arguments":{"command":"for i in $(seq 1 \#(lines)); do date +%s%N; sleep 0.01; done"}}}"#
        _ = try connection.postSSE(start, session: session)
        var latencies: [Double] = []
        while latencies.count < lines, let data = try events.nextSSEData(timeout: 30) {
            let now = Double(Self.wallNanoseconds())
            guard let json = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any],
                  json["type"] as? String == "output", let text = json["data"] as? String else { continue }
            for line in text.split(separator: "\n") {
                if let written = Double(line) { latencies.append((now - written) / 1e6) }
            }
        }
        print("")
        print("HTTP (milliseconds)                          p50      p95      p99")
        print(BenchCommand.row("MCP run true over HTTP, 1 worker", samples))
        print(BenchCommand.row("output write -> /events event (\(latencies.count) lines)", latencies))
    }

    /// spool-mcp `--http 127.0.0.1:0` on the bench's spool, and the port it chose.
    static func launch(bin: String, bench: BenchSpool, _ arguments: [String]) throws -> (ChildProcess, Int) {
        let log = bench.root + "/http.log"
        let mcp = try ChildProcess(bin + "/spool-mcp", ["--spool", bench.root + "/spool", "--http", "127.0.0.1:0"] + arguments, stderrPath: log)
        var port = 0
        for _ in 0..<200 where port == 0 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "serving http://127.0.0.1:") { port = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0 }
            if port == 0 { usleep(50_000) }
        }
        guard port > 0 else { throw BenchError.protocolError("spool-mcp --http did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")") }
        return (mcp, port)
    }

    static func wallNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// Blocking HTTP/1.1 over one loopback socket: the benchmark measures the server, so the
/// client must wait in the kernel, not in sleeps of its own.
final class BlockingHTTP {
    private let fd: Int32
    private var response = HTTPResponseDecoder()

    init(port: Int) throws {
        guard let fd = connectLoopback(port: port) else { throw BenchError.protocolError("cannot connect to port \(port)") }
        self.fd = fd
    }

    deinit { close(fd) }

    func sendRequest(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw BenchError.protocolError("send failed") }
    }

    private func fill() throws {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { throw BenchError.protocolError("connection closed") }
        response.feed(buffer[0..<count])
    }

    func readHead() throws {
        while !response.hasHead { try fill() }
    }

    /// POSTs a message to /mcp and reads its whole answer (the SSE stream ends with it).
    func postSSE(_ json: String, session: String?) throws -> (String, [String: String]) {
        var head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
        if let session { head += "Mcp-Session-Id: \(session)\r\n" }
        head += "Content-Length: \(json.utf8.count)\r\n\r\n" + json
        try sendRequest(head)
        while !response.complete { try fill() }
        let answer = (String(decoding: response.body, as: UTF8.self), response.headers)
        response.next()
        return answer
    }

    /// The `data:` of the next SSE event.
    func nextSSEData(timeout: Double) throws -> String? {
        var wait = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        while true {
            while let end = response.body.firstRange(of: Array("\n\n".utf8)) {
                let block = String(decoding: response.body[..<end.lowerBound], as: UTF8.self)
                response.body.removeSubrange(..<end.upperBound)
                if let line = block.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }) {
                    return String(line.dropFirst(6))
                }
            }
            do { try fill() } catch { return nil }
        }
    }
}
