import Foundation
import ProcessHarness
import Spool

/// `--eras`: the same calls over stdio in 2025-11-25 (initialize, then calls) and in
/// 2026-07-28 (server/discover, then calls with the per-request envelope), each against
/// its own spool-mcp, in alternating rounds so both see the same machine. `start` with the
/// tasks extension also writes and fsyncs the task record before it answers.
struct ErasBench {
    let bin: String
    let calls: Int

    enum Era: String, CaseIterable {
        case legacy = "2025-11-25"
        case modern = "2026-07-28"
        case tasks = "2026-07-28 + tasks"
    }

    func run() async throws {
        var clients: [Era: (RawMCPClient, BenchSpool, ChildProcess)] = [:]
        for era in Era.allCases {
            let spool = try BenchSpool()
            let mcp = try ChildProcess(bin + "/spool-mcp", ["--spool", spool.root, "--workers", "1"], pipeStdio: true)
            let client = era == .legacy ? try RawMCPClient(process: mcp) : try RawMCPClient(modern: mcp, tasks: era == .tasks)
            for _ in 0..<20 { _ = try client.callTool("run", ["command": "true"]) } // warm-up
            clients[era] = (client, spool, mcp)
        }
        var runs: [Era: [Double]] = [:], starts: [Era: [Double]] = [:]
        let rounds = 10
        for _ in 0..<rounds {
            for era in Era.allCases {
                let client = clients[era]!.0
                runs[era, default: []] += try (0..<(calls / rounds)).map { _ in
                    try BenchCommand.time {
                        let result = try client.callTool("run", ["command": "true"])
                        guard (result["structuredContent"] as? [String: Any])?["state"] as? String == "succeeded" else {
                            throw BenchError.protocolError("run true did not succeed: \(result)")
                        }
                    }
                }
                starts[era, default: []] += try (0..<(calls / rounds)).map { _ in
                    try BenchCommand.time {
                        let result = try client.callTool("start", ["command": "true"])
                        let isTask = result["resultType"] as? String == "task"
                        guard isTask == (era == .tasks) else { throw BenchError.protocolError("start answered \(result)") }
                    }
                }
            }
        }
        print("")
        print("protocol revisions on stdio, \(calls) calls each (milliseconds)      p50      p95      p99")
        for era in Era.allCases { print(BenchCommand.row("run true, \(era.rawValue)", runs[era]!)) }
        for era in Era.allCases { print(BenchCommand.row("start true, \(era.rawValue)", starts[era]!)) }
        for (_, (_, spool, mcp)) in clients {
            await mcp.killGroup()
            spool.remove()
        }
    }
}
