import Foundation
import MCP
import Spool
import Testing

/// What results say: isError only for a failed call, an ETA field on every queued job,
/// inline output within one budget, and progress that keeps a silent call alive.
@Suite("result shape", .timeLimit(.minutes(2)))
struct ResultShapeTests {
    @Test("queries about a failed or cancelled job are not errors; run of a failing command is")
    func isErrorMeansTheCallFailed() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let failed = try await mcp.call("run", ["command": "exit 3"])
            #expect(failed.isError == true)
            let id = try #require(failed["job"])
            for (tool, arguments) in [("status", ["job": id]), ("wait", ["jobs": [id]]), ("list", [:]), ("output", ["job": id]), ("tail", ["job": id])] as [(String, [String: Value])] {
                let result = try await mcp.call(tool, arguments)
                #expect(result.isError != true, "\(tool) of a failed job answered isError")
            }
            let started = try await mcp.call("start", ["command": .string(spool.blocker("hold"))])
            let job = try #require(started["job"])
            _ = try await mcp.call("cancel", ["job": job])
            let status = try await mcp.call("status", ["job": job])
            #expect(status["state"] == "cancelled")
            #expect(status.isError != true, "status of a cancelled job is a working query")
        }
    }

    @Test("a queued job's result always has etaSeconds, null with the reason when there is no basis yet")
    func etaAlwaysThere() async throws {
        try await withMCP(workers: 0) { _, mcp in
            let started = try await mcp.call("start", ["command": "true"])
            #expect(started["state"] == "queued")
            #expect(started.structured.keys.contains("etaSeconds"), "no etaSeconds field: \(started.structured.keys.sorted())")
            #expect(started["etaSeconds"] == .null)
            #expect(started.text.contains("ETA unknown"))
            let id = try #require(started["job"])
            for (tool, arguments) in [("status", ["job": id])] as [(String, [String: Value])] {
                let result = try await mcp.call(tool, arguments)
                #expect(result.structured.keys.contains("etaSeconds"), "\(tool)")
            }
            let waited = try await mcp.call("wait", ["jobs": [id], "timeout": 0])
            guard case .array(let jobs)? = waited["jobs"], case .object(let first)? = jobs.first else {
                Issue.record("wait has no jobs")
                return
            }
            #expect(first.keys.contains("etaSeconds"))
            let listed = try await mcp.call("list", ["state": "queued"])
            guard case .array(let items)? = listed["jobs"], case .object(let item)? = items.first else {
                Issue.record("list has no jobs")
                return
            }
            #expect(item.keys.contains("etaSeconds"))
        }
    }

    @Test("a run printing 200 KB on each stream returns the ends within one 24 KiB budget, once, with where to continue")
    func outputBudget() async throws {
        try await withMCP(workers: 1) { _, mcp in
            let script = "head -c 204800 /dev/zero | tr '\\\\0' o; head -c 204800 /dev/zero | tr '\\\\0' e >&2; echo; echo LAST-LINE"
            let result = try await mcp.call("run", ["command": .string(script)])
            let stdout = result["stdout"]?.stringValue ?? ""
            let stderr = result["stderr"]?.stringValue ?? ""
            #expect(stdout.utf8.count + stderr.utf8.count <= 24 << 10)
            #expect(stdout.hasSuffix("LAST-LINE\n"), "the end of stdout comes first")
            #expect(result["truncated"] == true)
            #expect(result["stdoutBytes"] == .int(204_800 + 11))
            #expect(result["stdoutOffset"]?.intValue == 204_811 - stdout.utf8.count)
            #expect(result["stderrOffset"]?.intValue == 204_800 - stderr.utf8.count)
            #expect(result.text.utf8.count < 2 << 10, "the text repeats the output: \(result.text.utf8.count) bytes")
            #expect(result.text.contains("LAST-LINE"), "the text has a preview of the end")
            #expect(result.text.contains("offset: 0"))
        }
    }

    @Test("--inline-output changes the budget")
    func budgetFlag() async throws {
        try await withMCP(workers: 1, extra: ["--inline-output", "1000"]) { _, mcp in
            let result = try await mcp.call("run", ["command": "seq 1 10000"])
            let stdout = result["stdout"]?.stringValue ?? ""
            #expect(stdout.utf8.count <= 1000 && stdout.hasSuffix("10000\n"))
        }
    }

    @Test("a silent run with a progress token gets keep-alive progress notifications")
    func progressKeepAlive() async throws {
        try await withMCP(workers: 1, extra: ["--progress-keepalive", "0.2"]) { spool, mcp in
            // Released by the test itself, so a busy test process only makes the silence longer.
            let release = Task { try await Task.sleep(for: .seconds(2)); spool.release("quiet") }
            let (result, notes) = try await mcp.callWithProgress("run", ["command": .string(spool.blocker("quiet"))], expecting: 2)
            _ = release
            #expect(result["state"] == "succeeded")
            #expect(notes >= 2, "got \(notes) progress notifications in 2 s of silence, one every 0.2 s expected")
        }
    }

    @Test("a silent wait with a progress token gets keep-alive progress notifications")
    func waitKeepAlive() async throws {
        try await withMCP(workers: 1, extra: ["--progress-keepalive", "0.2"]) { spool, mcp in
            let started = try await mcp.call("start", ["command": .string(spool.blocker("quiet"))])
            let release = Task { try await Task.sleep(for: .seconds(2)); spool.release("quiet") }
            defer { release.cancel() }
            let (result, notes) = try await mcp.callWithProgress("wait", ["jobs": [try #require(started["job"])], "timeout": 20], expecting: 2)
            #expect(result["completed"] == true)
            #expect(notes >= 2, "got \(notes) progress notifications in 2 s of silence, one every 0.2 s expected")
        }
    }

    @Test("a NUL byte in cwd or shell is refused, not cut short")
    func nulBytes() async throws {
        try await withMCP(workers: 1) { _, mcp in
            let cwd = try await mcp.call("run", ["command": "pwd", "cwd": "/tmp\u{0}/x"])
            #expect(cwd.isError == true)
            #expect(cwd.text.contains("cwd") && cwd.text.contains("NUL"), "\(cwd.text)")
            let shell = try await mcp.call("run", ["command": "true", "shell": "/bin/sh\u{0}x"])
            #expect(shell.isError == true)
            #expect(shell.text.contains("shell") && shell.text.contains("NUL"), "\(shell.text)")
        }
    }

    @Test("a watcher flood while a run waits: the run still returns as soon as the job ends")
    func floodWhileWaiting() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            // Many arrivals in done/ (which spool-mcp watches) while the job runs; the
            // job ends by itself right after the flood.
            let flood = "mkdir -p \(spool.root)/../flood; for i in $(seq 1 30000); do : > \(spool.layout.done)/x$i; done; date +%s.%N > \(spool.root)/../ended"
            let result = try await mcp.call("run", ["command": .string(flood), "wait": 120])
            let returned = Date().timeIntervalSince1970
            #expect(result["state"] == "succeeded")
            let ended = Double(spool.read(spool.root + "/../ended")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
            // Measured in the test process, which shares two cores with every other test:
            // the bound catches a lost wake-up (the run would sit out its 120 s wait), not jitter.
            #expect(returned - ended < 15.0, "run returned \(returned - ended) s after the job's end")
        }
    }
}
