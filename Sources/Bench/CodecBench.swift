import Foundation
import Spool

/// `--codec`: what the spool's JSON costs per file, in this process: encoding and
/// decoding the records a `run true` writes and reads (its request, status, exit record
/// and audit lines), each `iterations` times. Every `run` pays several of each, in
/// spool-mcp and the worker.
struct CodecBench {
    let iterations: Int

    func run() throws {
        let request = JobRequest(command: "true", cwd: "/home/user/project", priority: .sync)
        var status = JobStatus(job: request.job, state: .succeeded, priority: .sync, worker: WorkerName("host-1234-1"),
                               pid: 4242, supervisorPid: 4240, exitCode: 0, createdAt: .now, startedAt: .now,
                               finishedAt: .now, stdoutBytes: 3, stderrBytes: 0)
        status.keeperPid = 4241
        let exit = SupervisorExit(pid: 4242, exitCode: 0, signal: nil, timedOut: false, cancelled: false,
                                  startedAtNs: Timestamp.now.nanoseconds, finishedAtNs: Timestamp.now.nanoseconds)
        let audit = AuditEntry.finished(status, client: AuditClient(name: "claude-code", version: "2.1", transport: .stdio), worker: status.worker)
        print("")
        print("JSON per record, \(iterations) times each (microseconds)   encode   decode")
        try measure("request (queue/, jobs/<id>/request.json)", request) { bytes in
            try JobRequest.decode(bytes, path: "request", defaults: RequestDefaults(job: request.job, priority: .sync))
        }
        try measure("final status (jobs/<id>/status.json)", status) { bytes in
            try SpoolJSON.decode(JobStatus.self, from: bytes, path: "status")
        }
        try measure("exit record (jobs/<id>/exit.json)", exit) { bytes in
            try SpoolJSON.decode(SupervisorExit.self, from: bytes, path: "exit")
        }
        try measure("audit line (audit/<day>.jsonl)", audit) { bytes in
            try SpoolJSON.decode(AuditEntry.self, from: bytes, path: "audit")
        }
    }

    private func measure<T: Codable>(_ name: String, _ value: T, decode: ([UInt8]) throws -> T) throws {
        var bytes: [UInt8] = []
        let encoding = try BenchCommand.time {
            for _ in 0..<iterations { bytes = try SpoolJSON.encode(value) }
        }
        var decoded: T?
        let decoding = try BenchCommand.time {
            for _ in 0..<iterations { decoded = try decode(bytes) }
        }
        guard decoded != nil else { throw BenchError.protocolError("\(name) did not decode") }
        print(name.padding(toLength: 52, withPad: " ", startingAt: 0)
              + String(format: "%8.1f %8.1f", encoding * 1000 / Double(iterations), decoding * 1000 / Double(iterations)))
    }
}
