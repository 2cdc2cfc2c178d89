import Foundation
import MCP
import Spool

/// Sends `notifications/progress` for a running `run` whose client sent a progress
/// token. Woken by inotify on the job's folder (output written, status changed), never
/// by a timer; at most one notification per `interval` (10 ms), so a chatty command cannot flood
/// the client.
struct ProgressReporter: Sendable {
    let token: ProgressToken
    let server: Server
    let interval: Duration = .milliseconds(10)

    /// Reports until the surrounding task is cancelled.
    func follow(_ id: JobID, service: JobService, events: AsyncStream<WatchEvent>) async {
        let directory = service.layout.job(id)
        var last = ContinuousClock.now - interval
        var lastBytes: Int64 = -1
        for await event in events where event.directory == directory || event.isOverflow {
            guard ContinuousClock.now - last >= interval else { continue }
            let bytes = service.records.outputSize(id, .stdout) + service.records.outputSize(id, .stderr)
            guard bytes != lastBytes else { continue }
            last = ContinuousClock.now
            lastBytes = bytes
            let tail = (try? service.tail(id, .stdout, lines: 1, maxBytes: 200).text) ?? []
            let line = String(decoding: tail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let message = "job \(id) running, \(bytes) bytes of output" + (line.isEmpty ? "" : ": \(line)")
            try? await server.notify(ProgressNotification.message(
                .init(progressToken: token, progress: Double(bytes), total: nil, message: message)))
        }
    }
}
