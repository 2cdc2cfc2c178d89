import Foundation
import ProcessHarness
import Spool

/// `--policy`: `run true` with no policy, with `--write --network off` (Landlock, seccomp),
/// under the common recipe (`--read-only` too: a mount namespace per job) and with limits
/// on top (a cgroup per job), each against its own spool-mcp, in alternating rounds so all three see the
/// same machine. The policy's cost per job is the difference of the p50s.
/// With `--baseline DIR`, the same `run true` against the spool-mcp built in DIR (an
/// earlier commit, say) joins the rounds: before and after, in one run.
struct PolicyBench {
    let bin: String
    let calls: Int
    var baseline: String?

    enum Variant: String, CaseIterable {
        case baseline = "no policy, --baseline binaries"
        case none = "no policy"
        case writeNetwork = "--write --network off"
        case recipe = "--write --read-only --network off"
        case limits = "recipe + --job-memory/-processes/-file-size"
    }

    func flags(_ variant: Variant, work: String) -> [String] {
        let recipe = ["--write", work, "--read-only", work + "/.git", "--network", "off"]
        switch variant {
        case .none, .baseline: return []
        case .writeNetwork: return ["--write", work, "--network", "off"]
        case .recipe: return recipe
        case .limits: return recipe + ["--job-memory", String(1 << 30), "--job-processes", "256", "--job-file-size", String(1 << 30)]
        }
    }

    func run() async throws {
        var clients: [Variant: (RawMCPClient, BenchSpool, ChildProcess)] = [:]
        let variants = Variant.allCases.filter { $0 != .baseline || baseline != nil }
        for variant in variants {
            let spool = try BenchSpool()
            let work = spool.root + "/work"
            try FileManager.default.createDirectory(atPath: work + "/.git", withIntermediateDirectories: true)
            let binaries = variant == .baseline ? baseline! : bin
            let mcp = try ChildProcess(binaries + "/spool-mcp", ["--spool", spool.root + "/spool", "--workers", "1"] + flags(variant, work: work),
                                       pipeStdio: true)
            let client = try RawMCPClient(process: mcp)
            for _ in 0..<20 { _ = try client.callTool("run", ["command": "true", "cwd": work]) } // warm-up
            clients[variant] = (client, spool, mcp)
        }
        var samples: [Variant: [Double]] = [:]
        let rounds = 10
        for _ in 0..<rounds {
            for variant in variants {
                let (client, spool, _) = clients[variant]!
                samples[variant, default: []] += try (0..<(calls / rounds)).map { _ in
                    try BenchCommand.time {
                        let result = try client.callTool("run", ["command": "true", "cwd": spool.root + "/work"])
                        guard (result["structuredContent"] as? [String: Any])?["state"] as? String == "succeeded" else {
                            throw BenchError.protocolError("run true did not succeed: \(result)")
                        }
                    }
                }
            }
        }
        print("")
        print("job policy, run true, \(calls) calls each (milliseconds)  p50      p95      p99")
        for variant in variants { print(BenchCommand.row(variant.rawValue, samples[variant]!)) }
        if baseline != nil {
            print(String(format: "  this build against the baseline, no policy (p50 difference): %+.2f ms",
                         BenchCommand.percentile(samples[.none]!, 50) - BenchCommand.percentile(samples[.baseline]!, 50)))
        }
        let base = BenchCommand.percentile(samples[.none]!, 50)
        for variant in [Variant.writeNetwork, .recipe, .limits] {
            print(String(format: "  policy cost per job (p50 difference), %@: %.2f ms", variant.rawValue, BenchCommand.percentile(samples[variant]!, 50) - base))
        }
        for (_, (_, spool, mcp)) in clients {
            await mcp.killGroup()
            spool.remove()
        }
    }
}
