import Foundation
import MCP
import Spool

/// A job's output files as MCP resources, `spool://jobs/<id>/stdout` and `.../stderr`,
/// readable with `resources/read` and followed with `resources/subscribe`.
struct OutputResources: Sendable {
    let service: JobService
    /// `resources/read` returns at most this much of the start of a file, and says so;
    /// the `output` tool pages through the rest.
    static let readLimit = 4 << 20
    static let listLimit = 50

    static let templates: [Resource.Template] = JobStream.allCases.map { stream in
        Resource.Template(uriTemplate: "spool://jobs/{job}/\(stream.rawValue)", name: "job-\(stream.rawValue)",
                          title: "A job's \(stream.rawValue)",
                          description: "What the job wrote to \(stream.rawValue) so far (subscribe for updates while it runs).",
                          mimeType: "text/plain")
    }

    static func uri(_ id: JobID, _ stream: JobStream) -> String { "spool://jobs/\(id)/\(stream.rawValue)" }

    /// The job and stream a URI names, or an error an agent can act on.
    static func parse(_ uri: String) throws(MCPError) -> (JobID, JobStream) {
        let prefix = "spool://jobs/"
        let parts = uri.hasPrefix(prefix) ? uri.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false) : []
        guard parts.count == 2, let stream = JobStream(rawValue: String(parts[1])) else {
            throw .invalidParams("unknown resource '\(uri.prefix(200))': use spool://jobs/<job id>/stdout or spool://jobs/<job id>/stderr")
        }
        guard let id = JobID(String(parts[0])) else {
            throw .invalidParams("'\(parts[0].prefix(100))' is not a job id (26 characters, as start returns)")
        }
        return (id, stream)
    }

    func list() -> ListResources.Result {
        let recent = service.inspector.allJobs().prefix(Self.listLimit)
        let resources = recent.flatMap { job in
            JobStream.allCases.map { stream in
                Resource(name: "\(job.id) \(stream.rawValue)", uri: Self.uri(job.id, stream), mimeType: "text/plain")
            }
        }
        return ListResources.Result(resources: resources)
    }

    func read(_ uri: String) throws(MCPError) -> ReadResource.Result {
        let (id, stream) = try Self.parse(uri)
        do {
            _ = try service.snapshot(id)
        } catch {
            throw .serverError(code: -32002, message: "Resource not found: \(error)")
        }
        let size = service.records.outputSize(id, stream)
        let bytes = (try? service.read(id, stream, offset: 0, limit: Self.readLimit)) ?? [] // removed by retention just now: an empty read
        var meta: [String: Value] = ["size": .int(Int(size))]
        if size > Int64(bytes.count) {
            meta["truncated"] = .bool(true)
            meta["note"] = .string("first \(bytes.count) of \(size) bytes; the output tool reads the rest")
        }
        if let text = String(validating: bytes, as: UTF8.self) {
            return ReadResource.Result(contents: [.text(text, uri: uri, mimeType: "text/plain", _meta: Metadata(additionalFields: meta))])
        }
        return ReadResource.Result(contents: [.binary(Data(bytes), uri: uri, mimeType: "application/octet-stream", _meta: Metadata(additionalFields: meta))])
    }
}

/// One client's `resources/subscribe`s: each follows its file with inotify and sends
/// `notifications/resources/updated` on every write, then once more when the job ends.
actor OutputSubscriptions {
    private var followers: [String: Task<Void, Never>] = [:]
    private let service: JobService
    private let notify: @Sendable (String) async -> Void

    init(service: JobService, notify: @escaping @Sendable (String) async -> Void) {
        self.service = service
        self.notify = notify
    }

    func subscribe(_ uri: String) async throws(MCPError) {
        let (id, stream) = try OutputResources.parse(uri)
        guard followers[uri] == nil else { return }
        let service = self.service, notify = self.notify
        let directory = service.layout.job(id)
        let file = stream.rawValue
        // Subscribed before the watch is placed, so no write in between is missed.
        let events = service.watcher.events()
        try? FileSystem.makeDirectory(directory) // if it cannot be made, the watch below fails and says so
        do {
            try await service.watcher.watch(directory, mask: WatchMask.changes)
        } catch {
            throw .internalError("cannot follow \(uri): \(error)")
        }
        let interval = Self.minimumInterval
        followers[uri] = Task {
            // Writes are coalesced: one notification per `interval` at most, and always one
            // after the last write, so a chatty job cannot queue thousands for a client.
            let (wakes, wake) = AsyncStream<Bool>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let doneName = id.fileName
            let watch = Task {
                for await event in events {
                    if event.directory == directory && event.name == file && event.isModification {
                        wake.yield(false)
                    } else if event.isOverflow || (event.directory == service.layout.done && event.name == doneName) {
                        wake.yield(true)
                    }
                }
                wake.finish()
            }
            defer { watch.cancel() }
            var last = ContinuousClock.now - interval
            for await maybeFinal in wakes {
                let wait = last + interval - ContinuousClock.now
                if wait > .zero { await Pause.for(wait) } // later writes fold into this one
                if Task.isCancelled { break }
                last = ContinuousClock.now
                await notify(uri)
                if maybeFinal, (try? service.snapshot(id).status.state.isFinal) == true { break } // unreadable: keep following
            }
        }
    }

    /// Shortest time between two `resources/updated` for one URI.
    static let minimumInterval: Duration = .milliseconds(50)

    func unsubscribe(_ uri: String) {
        followers.removeValue(forKey: uri)?.cancel()
    }

    func cancelAll() {
        for (_, task) in followers { task.cancel() }
        followers.removeAll()
    }
}
