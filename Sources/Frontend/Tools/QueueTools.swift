import MCPWire
import Spool

/// `promote` and `stats`.
extension SpoolTools {
    struct PromoteResult: Codable {
        var job: String
        var outcome: String
        var from: Priority?
        var status: JobView
    }

    func promote(_ arguments: [String: Value]?) throws -> CallToolResult {
        let args = try ToolArguments(.promote, values: arguments)
        let id = try args.job()
        let target = try args.choice("priority", Priority.self) ?? .sync
        let outcome = try service.promote(id, to: target)
        if case .moved = outcome { audit(.promoted, job: id, tool: .promote) { $0.priority = target } }
        let view = JobView(try service.snapshot(id), estimator: service.estimator())
        let result: PromoteResult
        let text: String
        switch outcome {
        case .moved(let from):
            result = PromoteResult(job: id.rawValue, outcome: "moved", from: from, status: view)
            text = "job \(id) moved from \(from.rawValue) to \(target.rawValue)\n" + view.summary
        case .alreadyThere:
            result = PromoteResult(job: id.rawValue, outcome: "unchanged", status: view)
            text = "job \(id) already waits as \(target.rawValue)\n" + view.summary
        }
        return CallToolResult(text: text, structuredContent: try Value(encoding: result))
    }

    struct StatsResult: Codable {
        struct Queue: Codable { var sync: Int; var async: Int }
        struct Eta: Codable { var sync: Double?; var async: Double? }
        var queue: Queue
        var running: Int
        var workers: Int
        var slots: Int
        var maxRunning: Int?
        var averages: QueueAverages
        var etaSeconds: Eta
        var sessions: Int
        var peaks: Peaks.Snapshot
        /// Durable flushes this spool-mcp made for the replies that promised them.
        var flushes: Flushes
        struct Flushes: Codable { var rounds: Int; var files: Int }
        /// The job policy and what the kernel here enforces of it.
        var policy: PolicyReport?
    }

    func stats(_ arguments: [String: Value]?) async throws -> CallToolResult {
        _ = try ToolArguments(.stats, values: arguments)
        let estimator = service.estimator()
        let census = estimator.census
        let peaks = await self.peaks.observe(census)
        let sessions = service.sessions.all().filter { (try? service.sessions.record($0))??.state != .closed }.count // unreadable counts as open
        let result = StatsResult(
            queue: .init(sync: census.queuedSync, async: census.queuedAsync), running: census.running,
            workers: census.workers, slots: census.slots, maxRunning: service.maxRunning > 0 ? service.maxRunning : nil,
            averages: estimator.averages,
            etaSeconds: .init(sync: estimator.etaForNext(.sync), async: estimator.etaForNext(.async)),
            sessions: sessions, peaks: peaks,
            flushes: .init(rounds: service.committer.rounds, files: service.committer.filesFlushed),
            policy: service.policy)
        func seconds(_ value: Double?) -> String { value.map { ToolArguments.format(($0 * 100).rounded() / 100) + " s" } ?? "unknown" }
        var lines = [
            "queue: \(census.queuedSync) sync, \(census.queuedAsync) async; running: \(census.running) of \(estimator.capacity) slot(s) on \(census.workers) worker(s)",
            "next request would start in: sync \(seconds(result.etaSeconds.sync)), async \(seconds(result.etaSeconds.async))",
        ]
        for priority in Priority.allCases {
            if let average = estimator.averages[priority] {
                lines.append("\(priority.rawValue): average wait \(seconds(average.waitSeconds)), run \(seconds(average.runSeconds)) (\(average.samples) jobs)")
            }
        }
        lines.append("open sessions: \(sessions)")
        lines.append("durable flushes by this spool-mcp: \(result.flushes.files) request(s) in \(result.flushes.rounds) round(s)")
        lines.append(service.policy?.description ?? PolicyReport.unknown)
        lines.append("peaks since \(peaks.since): queue \(peaks.queuedSync) sync / \(peaks.queuedAsync) async, running \(peaks.running)")
        return CallToolResult(text: lines.joined(separator: "\n"), structuredContent: try Value(encoding: result))
    }
}
