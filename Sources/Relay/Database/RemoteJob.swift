import Spool

/// One `spool_job` row as the sending relay reads it.
struct RemoteJob: Sendable, Equatable {
    var id: JobID
    var state: RemoteState
    var token: Int64
    var host: String?
    /// The worker host's `status.json` (its final one once `state` is finished).
    var status: JobStatus?
    var reason: String?
    var stdoutBytes: Int64
    var stderrBytes: Int64

    func bytes(_ stream: JobStream) -> Int64 { stream == .stdout ? stdoutBytes : stderrBytes }
}

extension RemoteJob {
    /// The row as a `spool_job` notification carries it: `origin id state token stdout
    /// stderr host status-json` (nil when the payload holds only `origin id`, or a state
    /// whose reason it leaves out).
    init?(notification payload: String, origin: String) {
        let parts = payload.split(separator: " ", maxSplits: 7, omittingEmptySubsequences: false)
        guard parts.count == 8, parts[0] == origin, let id = JobID(String(parts[1])),
              let state = RemoteState(rawValue: String(parts[2])), state != .lost, state != .cancelled, state != .queued,
              let token = Int64(parts[3]), let stdout = Int64(parts[4]), let stderr = Int64(parts[5]) else { return nil }
        var status: JobStatus?
        if !parts[7].isEmpty {
            guard let decoded = try? SpoolJSON.decode(JobStatus.self, from: Array(parts[7].utf8), path: "notification") else { return nil }
            status = decoded
        }
        self.init(id: id, state: state, token: token, host: parts[6] == "-" ? nil : String(parts[6]), status: status, reason: nil,
                  stdoutBytes: stdout, stderrBytes: stderr)
    }
}

/// A job a receiving relay has just claimed.
struct RemoteClaim: Sendable, Equatable {
    var id: JobID
    var token: Int64
    var priority: Priority
    /// The request file's bytes as its origin wrote them.
    var request: [UInt8]
    /// For a request that opens a session: the state its last command left on the host that
    /// had it before (`SessionSnapshot` as JSON); nil for a new session.
    var sessionState: String? = nil
}

/// A piece of a job's output at its byte offset.
struct OutputChunk: Sendable, Equatable {
    var stream: JobStream
    var offset: Int64
    var data: [UInt8]

    var end: Int64 { offset + Int64(data.count) }
}

/// A piece of a relayed job's input, as `send_input` wrote it on the origin host.
struct InputPiece: Sendable, Equatable {
    var seq: Int64
    var data: [UInt8]
    var eof: Bool
}

extension Priority {
    /// `spool_job.priority`: sync sorts first.
    var rank: Int16 { self == .sync ? 0 : 1 }
    init(rank: Int16) { self = rank == 0 ? .sync : .async }
}

extension JobStream {
    var number: Int16 { self == .stdout ? 1 : 2 }
    init?(number: Int16) {
        switch number {
        case 1: self = .stdout
        case 2: self = .stderr
        default: return nil
        }
    }
}
