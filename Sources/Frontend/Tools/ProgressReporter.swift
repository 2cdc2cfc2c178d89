import Foundation
import MCPWire
import Spool

/// Sends `notifications/progress` for a `run` or `wait` whose client sent a progress
/// token. Woken by inotify on the job's folder (output written, status changed); at most
/// one notification per `interval` (10 ms), so a chatty command cannot flood the client,
/// and at least one per keep-alive period while the job is silent, because clients reset
/// their idle timers on progress (Claude Code's HTTP idle timeout is 5 minutes).
struct ProgressReporter: Sendable {
    let token: ProgressToken
    /// The stream of the request it belongs to.
    let sink: NoticeSink
    let interval: Duration = .milliseconds(10)

    private enum Wake { case change, heartbeat }

    /// Reports until the surrounding task is cancelled.
    func follow(_ id: JobID, service: JobService, events: WatchEventStream, keepAlive: Duration) async {
        let directory = service.layout.job(id)
        let (wakes, wake) = AsyncStream<Wake>.makeStream(bufferingPolicy: .bufferingNewest(2))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events where event.directory == directory || event.isOverflow {
                    wake.yield(.change)
                }
                wake.finish()
            }
            group.addTask {
                while !Task.isCancelled {
                    await Pause.for(keepAlive / 4)
                    wake.yield(.heartbeat)
                }
                wake.finish()
            }
            // The first notification names the job at once, so a client whose call ends
            // before the job does (a closed stream) can find it again.
            await send(progress: 0, total: nil, message: "job \(id) queued")
            var last = ContinuousClock.now - interval
            var lastSent = ContinuousClock.now
            var lastBytes: Int64 = 0 // the first notification said 0
            for await reason in wakes {
                if Task.isCancelled { break }
                guard ContinuousClock.now - last >= interval else { continue }
                let bytes = service.records.outputSize(id, .stdout) + service.records.outputSize(id, .stderr)
                let silent = ContinuousClock.now - lastSent >= keepAlive
                guard bytes != lastBytes || (reason == .heartbeat && silent) else { continue }
                last = ContinuousClock.now
                lastSent = last
                lastBytes = bytes
                let tail = (try? service.tail(id, .stdout, lines: 1, maxBytes: 200).text) ?? [] // a preview only
                let line = String(decoding: tail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                let message = "job \(id) running, \(bytes) bytes of output" + (line.isEmpty ? "" : ": \(line)")
                await send(progress: Double(bytes), total: nil, message: message)
            }
            group.cancelAll()
        }
    }

    /// For `wait`: one notification per `every` until cancelled, with how many have ended.
    func keepAlive(every: Duration, jobs: [JobID], service: JobService) async {
        while !Task.isCancelled {
            await Pause.for(every)
            if Task.isCancelled { break }
            let finished = jobs.filter { (try? service.snapshot($0).status.state.isFinal) ?? true }.count // unreadable counts as done for the count only
            await send(progress: Double(finished), total: Double(jobs.count), message: "waiting: \(finished) of \(jobs.count) job(s) finished")
        }
    }

    /// A client that went away misses it: the call's own answer fails the same way and ends it.
    private func send(progress: Double, total: Double?, message: String) async {
        var params: [String: Value] = ["progressToken": token.value, "progress": .double(progress), "message": .string(message)]
        if let total { params["total"] = .double(total) }
        await sink.notify("notifications/progress", .object(params))
    }
}
