import Foundation
import ProcessHarness
import MCP
import Spool
import Testing

/// A job id is handed out only for a request a worker can run, and a copy of a request
/// that already has a record never runs again.
@Suite("accepted means kept", .timeLimit(.minutes(2)))
struct AcceptedMeansKeptTests {
    /// One JSON-RPC line per call, written as bytes: the SDK client's debug-build JSON
    /// encoder would keep a test thread busy for seconds on megabytes of input.
    static func rawCall(_ spool: TestSpool, _ process: ChildProcess, id: Int, tool: String, _ arguments: Data) async throws -> String {
        let input = FileHandle(fileDescriptor: process.stdinFD!, closeOnDealloc: false)
        input.write(Data(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(tool)","arguments":"#.utf8) + arguments + Data("}}\n".utf8))
        var received = ""
        let deadline = Date().addingTimeInterval(30)
        while !received.contains(#""id":\#(id)"#) && Date() < deadline {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = read(process.stdoutFD!, &buffer, buffer.count)
            if n > 0 { received += String(decoding: buffer[0..<n], as: UTF8.self) } else { try await Task.sleep(for: .milliseconds(10)) }
        }
        return received.split(separator: "\n").first { $0.contains(#""id":\#(id)"#) }.map(String.init) ?? ""
    }

    static func padded(_ prefix: String, _ byte: Character, _ count: Int, _ suffix: String) -> Data {
        Data(prefix.utf8) + Data(repeating: byte.asciiValue!, count: count) + Data(suffix.utf8)
    }

    @Test("a request larger than a spool request may be is refused before any job id is handed out")
    func oversizedRequests() async throws {
        try await withSpool { spool in
            let process = try spool.startFrontend(workers: 1)
            _ = fcntl(process.stdoutFD!, F_SETFL, fcntl(process.stdoutFD!, F_GETFL) | O_NONBLOCK)
            let input = FileHandle(fileDescriptor: process.stdinFD!, closeOnDealloc: false)
            input.write(Data((#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"# + "\n").utf8))
            input.write(Data((#"{"jsonrpc":"2.0","method":"notifications/initialized"}"# + "\n").utf8))
            let start = try await Self.rawCall(spool, process, id: 2, tool: "start", Self.padded(#"{"command":"cat","stdin":""#, "x", 8 << 20, #""}"#))
            #expect(start.contains(#""isError":true"#) && start.contains("2048 KiB") && start.contains("file"), "\(start.prefix(300))")
            #expect(!start.contains(#""job""#))
            let run = try await Self.rawCall(spool, process, id: 3, tool: "run", Self.padded(#"{"command":"true","env":{"BIG":""#, "y", (2 << 20) + 100, #""}}"#))
            #expect(run.contains(#""isError":true"#) && run.contains("2048 KiB"), "\(run.prefix(300))")
            for priority in Priority.allCases {
                #expect(FileSystem.list(spool.layout.queue(priority)).isEmpty, "a request was written anyway")
            }
            // Just below the limit still runs, and the worker reads it whole.
            let fits = try await Self.rawCall(spool, process, id: 4, tool: "run", Self.padded(#"{"command":"wc -c","stdin":""#, "z", 1_900_000, #""}"#))
            #expect(fits.contains(#""isError":false"#) && fits.contains("1900000"), "\(fits.prefix(300))")
            #expect(FileSystem.list(spool.layout.bad).isEmpty)
        }
    }

    @Test("a finished job's request copied back into the queue goes to bad/ as a duplicate; the original record stays")
    func duplicateRequest() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let first = try await mcp.call("run", ["command": "echo first"])
            let id = try #require(JobID(first["job"]?.stringValue ?? ""))
            let statusBefore = try #require(spool.read(spool.layout.job(id, .status)))
            let copy = try #require(FileManager.default.contents(atPath: spool.layout.done(id)))
            try copy.write(to: URL(fileURLWithPath: spool.layout.tmp + "/copy"))
            #expect(rename(spool.layout.tmp + "/copy", spool.layout.queued(id, .async)) == 0)
            let reasonPath = spool.layout.bad + "/" + id.fileName + ".reason"
            #expect(await eventually(timeout: 10) { FileManager.default.fileExists(atPath: reasonPath) })
            #expect(spool.read(reasonPath)?.contains("duplicate of job \(id)") == true, "\(spool.read(reasonPath) ?? "")")
            #expect(spool.read(spool.layout.job(id, .status)) == statusBefore, "the original status.json changed")
            #expect(spool.read(spool.layout.job(id, .stdout)) == "first\n")
            let status = try await mcp.call("status", ["job": .string(id.rawValue)])
            #expect(status["state"] == "succeeded")
        }
    }

    @Test("a 50 MB request file dropped into the queue is quarantined as too large, not as bad JSON")
    func hugeRequestFile() async throws {
        try await withMCP(workers: 1) { spool, _ in
            let id = JobID.make()
            // Built as bytes: a 50 MB String would keep a test thread busy for seconds.
            let bytes = Data(#"{"command":"true","cwd":"/tmp","pad":""#.utf8) + Data(repeating: UInt8(ascii: "p"), count: 50 << 20) + Data(#""}"#.utf8)
            try bytes.write(to: URL(fileURLWithPath: spool.layout.tmp + "/huge"))
            #expect(rename(spool.layout.tmp + "/huge", spool.layout.queued(id, .async)) == 0)
            let reasonPath = spool.layout.bad + "/" + id.fileName + ".reason"
            #expect(await eventually(timeout: 10) { FileManager.default.fileExists(atPath: reasonPath) })
            let reason = spool.read(reasonPath) ?? ""
            #expect(reason.contains("too large"), "\(reason)")
            #expect(!reason.contains("not valid JSON"))
        }
    }

    @Test("durability follows the promise: a complete run result flushes nothing; start, and a run answered while its command still runs, are flushed before the reply")
    func durabilityFollowsThePromise() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            func flushed() async throws -> Int? {
                try await mcp.call("stats", [:])["flushes"]?.objectValue?["files"]?.intValue
            }
            #expect(try await flushed() == 0)
            let run = try await mcp.call("run", ["command": "echo done"])
            #expect(run["state"] == "succeeded")
            #expect(try await flushed() == 0, "a complete result promises only itself: no flush on its path")
            let started = try await mcp.call("start", ["command": "true"])
            #expect(started["job"]?.stringValue != nil)
            #expect(try await flushed() == 2, "start hands out a job id: its request and its accepted audit line are flushed first")
            let open = try await mcp.call("run", ["command": "sleep 5", "wait": 0.2])
            #expect(open["state"] == "running" || open["state"] == "queued")
            #expect(try await flushed() == 4, "a run answered before its command ended hands out its job id too")
            if let job = open["job"]?.stringValue { _ = try await mcp.call("cancel", ["job": .string(job)]) }
            withExtendedLifetime(spool) {}
        }
    }
}
