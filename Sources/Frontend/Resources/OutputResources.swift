import Foundation
import MCPWire
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

    func list() -> [Resource] {
        let recent = service.inspector.allJobs().prefix(Self.listLimit)
        let resources = recent.flatMap { job in
            JobStream.allCases.map { stream in
                Resource(name: "\(job.id) \(stream.rawValue)", uri: Self.uri(job.id, stream), mimeType: "text/plain")
            }
        }
        return resources
    }

    func read(_ uri: String) throws(MCPError) -> ReadResourceResult {
        let (id, stream) = try Self.parse(uri)
        do {
            _ = try service.snapshot(id)
        } catch {
            throw .resourceNotFound("\(error)", uri: uri)
        }
        let size = service.records.outputSize(id, stream)
        let bytes = (try? service.read(id, stream, offset: 0, limit: Self.readLimit)) ?? [] // removed by retention just now: an empty read
        return Self.result(uri: uri, bytes: bytes, size: size, rest: "the output tool")
    }

    /// A `resources/read` answer: text, or a blob for bytes that are not UTF-8, with the
    /// file's `size` and, when `bytes` is only its start, a note on what reads the `rest`.
    static func result(uri: String, bytes: [UInt8], size: Int64, rest: String) -> ReadResourceResult {
        var meta: [String: Value] = ["size": .int(Int(size))]
        if size > Int64(bytes.count) {
            meta["truncated"] = .bool(true)
            meta["note"] = .string("first \(bytes.count) of \(size) bytes; \(rest) reads the rest")
        }
        if let text = String(validating: bytes, as: UTF8.self) {
            return ReadResourceResult(uri: uri, mimeType: "text/plain", body: .text(text), meta: meta)
        }
        return ReadResourceResult(uri: uri, mimeType: "application/octet-stream", body: .blob(bytes), meta: meta)
    }

    /// What a subscription to a job's stream follows: its file, until the job ends.
    func subscription(_ uri: String) throws(MCPError) -> ResourceSubscriptions.Target {
        let (id, stream) = try Self.parse(uri)
        return Self.following(id, stream, service: service)
    }

    /// Following one output file of job `id` until the job ends (its screen follows stdout).
    static func following(_ id: JobID, _ stream: JobStream, service: JobService) -> ResourceSubscriptions.Target {
        let directory = service.layout.job(id)
        try? FileSystem.makeDirectory(directory) // if it cannot be made, the watch fails and says so
        let done = service.layout.done, doneName = id.fileName
        return ResourceSubscriptions.Target(
            directory: directory, name: stream.rawValue,
            mayHaveEnded: { $0.directory == done && $0.name == doneName },
            hasEnded: { (try? service.snapshot(id).status.state.isFinal) == true }) // unreadable: keep following
    }
}
