import Foundation
import Glibc
import ProcessHarness

/// Figures for `--watch` and `--backup`: how long an append to a followed file takes to
/// reach an `/events` client (against the way there was before, a `tail -F` job), and how
/// long backups of a 10,000-file tree take.
struct WatchedBench {
    let bin: String
    let lines: Int
    let files: Int

    func run() async throws {
        try await followLatency()
        try await backupTimes()
    }

    // MARK: following

    func followLatency() async throws {
        let bench = try BenchSpool()
        defer { bench.remove() }
        let logs = bench.root + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        for name in ["watched.log", "tailed.log"] { FileManager.default.createFile(atPath: logs + "/" + name, contents: nil) }
        let (mcp, port) = try HTTPBench.launch(bin: bin, bench: bench, ["--workers", "1", "--watch", logs])
        defer { Task { await mcp.killGroup() } }

        let watched = try BlockingHTTP(port: port)
        try watched.sendRequest("GET /events?path=\(logs)/watched.log HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try watched.readHead()
        let viaWatch = try measure(file: logs + "/watched.log", events: watched, type: "file")

        // Before --watch, an agent followed a log with a job of its own.
        let connection = try BlockingHTTP(port: port)
        let (_, headers) = try connection.postSSE(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#, session: nil)
        let session = headers["mcp-session-id"] ?? ""
        let (answer, _) = try connection.postSSE(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"start","arguments":{"command":"exec tail -F -n0 \#(logs)/tailed.log"}}}"#, session: session)
        guard let range = answer.range(of: #""job":""#) else { throw BenchError.protocolError("start tail: \(answer.prefix(300))") }
        let job = String(answer[range.upperBound...].prefix(26))
        let tailed = try BlockingHTTP(port: port)
        try tailed.sendRequest("GET /events?job=\(job) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try tailed.readHead()
        try await Task.sleep(for: .milliseconds(500)) // until tail runs
        let viaJob = try measure(file: logs + "/tailed.log", events: tailed, type: "output")
        _ = try connection.postSSE(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"cancel","arguments":{"job":"\#(job)"}}}"#, session: session)

        print("")
        print("watched files (milliseconds)                 p50      p95      p99")
        print(BenchCommand.row("append -> /events file event (\(viaWatch.count))", viaWatch))
        print(BenchCommand.row("before: tail -F job -> output (\(viaJob.count))", viaJob))
    }

    /// Appends `lines` lines carrying their wall-clock time, 10 ms apart, from a thread of
    /// their own, and times each one's arrival as an event of `type`.
    private func measure(file: String, events: BlockingHTTP, type: String) throws -> [Double] {
        let lines = self.lines
        let writer = Thread {
            guard let handle = FileHandle(forWritingAtPath: file) else { return }
            for _ in 0..<lines {
                handle.seekToEndOfFile()
                handle.write(Data("\(HTTPBench.wallNanoseconds())\n".utf8))
                usleep(10_000)
            }
            try? handle.close()
        }
        writer.start()
        var latencies: [Double] = []
        while latencies.count < lines, let data = try events.nextSSEData(timeout: 30) {
            let now = Double(HTTPBench.wallNanoseconds())
            guard let json = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any],
                  json["type"] as? String == type, let text = json["data"] as? String else { continue }
            for line in text.split(separator: "\n") {
                if let written = Double(line) { latencies.append((now - written) / 1e6) }
            }
        }
        return latencies
    }

    // MARK: backups

    func backupTimes() async throws {
        let bench = try BenchSpool()
        defer { bench.remove() }
        let tree = bench.root + "/tree"
        for index in 0..<files {
            let folder = tree + "/d\(index / 100)"
            if index % 100 == 0 { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            FileManager.default.createFile(atPath: folder + "/f\(index).txt", contents: Data("file \(index)\n".utf8))
        }
        try git(tree, "init", "-q")

        let mcp = try ChildProcess(bin + "/spool-mcp", ["--spool", bench.root + "/spool", "--workers", "1", "--backup", tree,
                                                        "--backup-before-jobs", "--backup-idle", "3600"], pipeStdio: true)
        defer { Task { await mcp.killGroup() } }
        let client = try RawMCPClient(process: mcp)
        _ = try client.callTool("run", ["command": "true", "cwd": bench.root]) // warm-up
        // The first backup of a tree git has never seen: every file is hashed.
        let first = try BenchCommand.time { _ = try client.callTool("run", ["command": "true", "cwd": tree]) }

        // Backups before jobs, 10 files changed each time, against the same run elsewhere.
        var withBackup: [Double] = [], without: [Double] = []
        for round in 0..<10 {
            for index in 0..<10 {
                let file = tree + "/d\(index)/f\(index * 100).txt"
                FileManager.default.createFile(atPath: file, contents: Data("changed \(round)\n".utf8))
            }
            withBackup.append(try BenchCommand.time { _ = try client.callTool("run", ["command": "true", "cwd": tree]) })
            without.append(try BenchCommand.time { _ = try client.callTool("run", ["command": "true", "cwd": bench.root]) })
        }
        let count = (try? git(tree, "rev-list", "--count", "refs/spool/backups"))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        print("")
        print("backups of \(files) files (milliseconds)     p50      p95      p99")
        print(String(format: "  %-40@ %8.1f  (every file hashed)", "run true in the tree, first backup" as NSString, first))
        print(BenchCommand.row("run true in the tree (backup first)", withBackup))
        print(BenchCommand.row("run true elsewhere (no backup)", without))
        print("  \(count) backups on refs/spool/backups")
    }

    @discardableResult
    private func git(_ tree: String, _ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", tree] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError.protocolError("git \(arguments.joined(separator: " ")) failed") }
        return String(decoding: data, as: UTF8.self)
    }
}
