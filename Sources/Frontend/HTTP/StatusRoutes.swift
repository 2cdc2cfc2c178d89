import Foundation
import Glibc
import HTTPTypes
import Hummingbird
import Spool

/// `/health` (200 or 503 with the reason, JSON) and `/metrics` (Prometheus text).
enum StatusRoutes {
    struct Health: Codable {
        struct Queue: Codable {
            var sync: Int
            var async: Int
        }

        var status: String
        var workers: Int
        var queue: Queue
        var running: Int
        /// The job policy and what the kernel here enforces of it.
        var policy: PolicyReport?
    }

    static func health(_ layout: SpoolLayout, policy: PolicyReport?) -> Health {
        let census = SpoolCensus.take(layout)
        var problems: [String] = []
        if access(layout.root, W_OK) != 0 || access(layout.tmp, W_OK) != 0 || access(layout.queue(.sync), W_OK) != 0 {
            problems.append("spool \(layout.root) is not writable")
        }
        if census.workers == 0 { problems.append("no live worker: start spool-worker --spool \(layout.root), or spool-mcp with --workers N") }
        return Health(status: problems.isEmpty ? "ok" : problems.joined(separator: "; "), workers: census.workers,
                      queue: .init(sync: census.queuedSync, async: census.queuedAsync), running: census.running, policy: policy)
    }

    static func register<Context: Hummingbird.RequestContext>(on router: Router<Context>, layout: SpoolLayout, policy: PolicyReport?,
                                                             metrics: SpoolMetrics, sessions: MCPSessions) {
        router.get("health") { _, _ -> Response in
            let health = health(layout, policy: policy)
            let body = (try? SpoolJSON.encode(health)) ?? [] // a struct of strings and numbers always encodes
            return Response(status: health.status == "ok" ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("metrics") { _, _ -> Response in
            let text = metrics.scrape(SpoolCensus.take(layout), mcpSessions: await sessions.count)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}
