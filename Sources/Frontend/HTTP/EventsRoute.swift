import Foundation
import HTTPTypes
import Hummingbird
import Spool

/// `/events`: the spool's events as plain SSE (`curl -N`). Each client reads the journal
/// file from its own cursor, so the server holds no per-client queue: a client that reads
/// slowly only lags in the file, and one that stops reading blocks only its own writes
/// (NIO's back-pressure). If it lags past the journal's rotation it is skipped ahead with
/// a `skipped` event naming the ids it missed.
enum EventsRoute {
    static func register(on router: Router<SpoolRequestContext>, layout: SpoolLayout, bell: EventBell, metrics: SpoolMetrics, stallTimeout: Duration,
                         roots: WatchRoots, followers: FileFollowers?) {
        typealias Context = SpoolRequestContext
        router.get("events") { request, context -> Response in
            let stall = StallGuard(context, limit: stallTimeout)
            var filter: JobID?
            if let text = request.uri.queryParameters["job"].map(String.init) {
                guard let id = JobID(text) else {
                    return AccessGuard<Context>.refusal(.badRequest, "job=\(text.prefix(100)) is not a job id (26 characters, as start returns)")
                }
                filter = id
            }
            var pathFilter: String?
            if let text = request.uri.queryParameters["path"].map(String.init) {
                guard let followers else {
                    return AccessGuard<Context>.refusal(.badRequest, "path=\(text.prefix(100)): no watched folders; start spool-mcp with --watch DIR to follow files")
                }
                let path: String
                do throws(WatchedPathError) { path = try roots.resolveForFollowing(text) } catch {
                    let status: HTTPResponse.Status = if case .notFound = error { .notFound } else { .forbidden }
                    return AccessGuard<Context>.refusal(status, "path=: \(error)")
                }
                // Followed from now on (and after this client leaves, so a resume misses nothing).
                await followers.follow(path)
                pathFilter = path
            }
            var after: UInt64?
            if let text = request.headers[HTTPField.Name("Last-Event-ID")!] ?? request.uri.queryParameters["lastEventId"].map(String.init) {
                guard let id = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                    return AccessGuard<Context>.refusal(.badRequest, "Last-Event-ID \(text.prefix(100)) is not an event id from this stream (a number)")
                }
                after = id
            }
            let rings = bell.subscribe()
            let (jobFilter, resumeAfter, filePath) = (filter, after, pathFilter)
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
                metrics.sseClient(connected: true)
                defer { metrics.sseClient(connected: false) }
                try await request.body.consumeWithCancellationOnInboundClose { _ in
                    let reader = EventJournalReader(layout: layout, after: resumeAfter)
                    var lastWrite = ContinuousClock.now
                    try await stall.write(ByteBuffer(string: ": spool events\nretry: 1000\n\n"), to: &writer)
                    var wake = rings.makeAsyncIterator()
                    while !Task.isCancelled {
                        // A small journal read: each output event carries up to 16 KiB of
                        // file data, so frames are written (and back-pressured) a few at a time.
                        let batch = reader.read(maxBytes: 8 << 10)
                        var text: [UInt8] = []
                        if let skipped = batch.skipped { text += EventFrame.skipped(skipped) }
                        for event in batch.events where (jobFilter.map(event.concerns) ?? true) && (filePath.map(event.concerns(path:)) ?? true) {
                            text += EventFrame(event, layout: layout).sse
                            if text.count >= 32 << 10 {
                                try await stall.write(ByteBuffer(bytes: text), to: &writer)
                                text = []
                            }
                        }
                        if !text.isEmpty {
                            try await stall.write(ByteBuffer(bytes: text), to: &writer)
                        }
                        if !batch.events.isEmpty || batch.skipped != nil { lastWrite = .now }
                        if !batch.events.isEmpty || batch.skipped != nil { continue }
                        guard await wake.next() != nil else { break } // shutdown
                        if ContinuousClock.now - lastWrite >= EventBell.heartbeat - .seconds(1) {
                            try await stall.write(ByteBuffer(bytes: SSEFrame.keepAlive), to: &writer)
                            lastWrite = .now
                        }
                    }
                }
                try await writer.finish(nil)
            })
        }
    }
}
