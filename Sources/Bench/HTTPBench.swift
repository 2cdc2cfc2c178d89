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
        let log = bench.root + "/http.log"
        let mcp = try ChildProcess(bin + "/spool-mcp", ["--spool", bench.root + "/spool", "--workers", "1", "--http", "127.0.0.1:0"], stderrPath: log)
        defer { Task { await mcp.killGroup() } }
        var port = 0
        for _ in 0..<200 where port == 0 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "serving http://127.0.0.1:") { port = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0 }
            if port == 0 { usleep(50_000) }
        }
        guard port > 0 else { throw BenchError.protocolError("spool-mcp --http did not start") }

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
    private var raw: [UInt8] = []
    private var body: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw BenchError.protocolError("cannot connect to port \(port)") }
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
        raw += buffer[0..<count]
    }

    private(set) var headers: [String: String] = [:]
    private var chunked = false
    private var contentLength = 0

    func readHead() throws {
        while raw.firstRange(of: Array("\r\n\r\n".utf8)) == nil { try fill() }
        let end = raw.firstRange(of: Array("\r\n\r\n".utf8))!
        headers = [:]
        for line in String(decoding: raw[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        chunked = headers["transfer-encoding"]?.lowercased() == "chunked"
        contentLength = Int(headers["content-length"] ?? "") ?? 0
        raw.removeSubrange(..<end.upperBound)
    }

    /// Decodes chunks into `body`; true at the last chunk.
    private func decodeChunks() -> Bool {
        while let lineEnd = raw.firstRange(of: Array("\r\n".utf8)) {
            let size = Int(String(decoding: raw[..<lineEnd.lowerBound], as: UTF8.self), radix: 16) ?? 0
            guard raw.count >= lineEnd.upperBound + size + 2 else { return false }
            body += raw[lineEnd.upperBound..<(lineEnd.upperBound + size)]
            raw.removeSubrange(..<(lineEnd.upperBound + size + 2))
            if size == 0 { return true }
        }
        return false
    }

    /// POSTs a message to /mcp and reads its whole answer (the SSE stream ends with it).
    func postSSE(_ json: String, session: String?) throws -> (String, [String: String]) {
        var head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
        if let session { head += "Mcp-Session-Id: \(session)\r\n" }
        head += "Content-Length: \(json.utf8.count)\r\n\r\n" + json
        try sendRequest(head)
        try readHead()
        body = []
        if chunked {
            while !decodeChunks() { try fill() }
        } else {
            while raw.count < contentLength { try fill() }
            body = Array(raw.prefix(contentLength))
            raw.removeFirst(contentLength)
        }
        return (String(decoding: body, as: UTF8.self), headers)
    }

    /// The `data:` of the next SSE event.
    func nextSSEData(timeout: Double) throws -> String? {
        var wait = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        while true {
            _ = decodeChunks()
            while let end = body.firstRange(of: Array("\n\n".utf8)) {
                let block = String(decoding: body[..<end.lowerBound], as: UTF8.self)
                body.removeSubrange(..<end.upperBound)
                if let line = block.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }) {
                    return String(line.dropFirst(6))
                }
            }
            do { try fill() } catch { return nil }
        }
    }
}
