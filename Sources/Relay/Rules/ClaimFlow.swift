import Spool

/// One claim a receiving relay works on, as a value: what of the local job PostgreSQL has
/// been told, and what to tell it next. `observe` takes what the local files say now and
/// returns the steps, in order; the relay carries them out one by one and reports each
/// that completed with `completed(_:)`. A step that did not complete as planned (a send
/// that reached less, an error) ends the round, and the next `observe` plans again from
/// what was reported. A write PostgreSQL refuses (an outdated token) ends the claim, and
/// the relay drops the flow. No I/O and no clock here (`now` comes in), so every rule is
/// tested as arithmetic (`Tests/RelayTests/ClaimFlowTests.swift`).
struct ClaimFlow: Sendable, Equatable {
    typealias Instant = ContinuousClock.Instant

    /// The local job as its files show it.
    struct Facts: Sendable, Equatable {
        /// `jobs/<id>/status.json` (nil: not written yet).
        var status: JobStatus?
        /// The request is in `done/`: the status read with it is final.
        var ended: Bool
        var stdoutBytes: Int64
        var stderrBytes: Int64

        func bytes(_ stream: JobStream) -> Int64 { stream == .stdout ? stdoutBytes : stderrBytes }
    }

    enum Step: Sendable, Equatable {
        /// The worker host's running status, under the claim's token.
        case reportRunning(JobStatus)
        /// Take input waiting in PostgreSQL into the job's FIFO (a `stdin: "pipe"` job
        /// that now runs).
        case pumpInput
        /// Output bytes `from..<to` of a stream, read from the file, in chunks.
        case send(JobStream, from: Int64, to: Int64)
        /// The final status, with the byte counts sent and this host's name. For a
        /// session's command (`savingSession`), the state it left goes to its opener's row
        /// in the same statement, so the session reopened elsewhere starts from it and no
        /// end is ever seen without it.
        case reportFinished(JobStatus, savingSession: Bool)
    }

    /// The claim's token: every write names it.
    let token: Int64
    /// Started with `stdin: "pipe"`: its input comes from PostgreSQL, and its running
    /// status goes at once (the input waits for it).
    let pipe: Bool
    /// A command of a session open here: its session's state is saved with its end.
    let sessionCommand: Bool
    private(set) var sent: [JobStream: Int64]
    private(set) var reportedRunning: Bool
    private(set) var finished = false
    private var batch = OutputBatch()

    init(token: Int64, pipe: Bool, sessionCommand: Bool = false, sent: [JobStream: Int64] = [.stdout: 0, .stderr: 0], reportedRunning: Bool = false) {
        self.token = token
        self.pipe = pipe
        self.sessionCommand = sessionCommand
        self.sent = sent
        self.reportedRunning = reportedRunning
    }

    /// When to look again without a wake: unsent output or an unreported "running" is
    /// waiting out the batch delay.
    var due: Instant? { batch.waitingSince.map { $0 + OutputBatch.delay } }

    /// The steps that bring PostgreSQL in line with `facts`, in order.
    ///
    /// "Running" is batched like output: a job that ends within the delay is reported once,
    /// ended, so a short command costs one round trip, not two. Output goes when a whole
    /// chunk waits, the job has ended, or its first unsent byte is `delay` old. The end goes
    /// last, once every byte before it has gone.
    mutating func observe(_ facts: Facts, host: String, now: Instant) -> [Step] {
        guard !finished else { return [] }
        var steps: [Step] = []
        var waiting = false
        if !reportedRunning, !facts.ended, let status = facts.status, status.state == .running {
            if !pipe {
                batch.noteGrowth(at: now)
                if now < (batch.waitingSince ?? now) + OutputBatch.delay { waiting = true }
            }
            if !waiting {
                steps.append(.reportRunning(status))
                if pipe { steps.append(.pumpInput) }
            }
        }
        var sending = sent
        for stream in JobStream.allCases {
            let size = facts.bytes(stream), already = sent[stream] ?? 0
            if size > already { batch.noteGrowth(at: now) }
            switch batch.decide(unsent: size - already, ended: facts.ended, now: now) {
            case .nothing: break
            case .sendAt: waiting = true
            case .sendNow:
                steps.append(.send(stream, from: already, to: size))
                sending[stream] = size
            }
        }
        batch.waitingSince = waiting ? (batch.waitingSince ?? now) : nil
        // The final status is written before the rename into done/, so the one read with it is it.
        if facts.ended, !waiting, var record = facts.status, record.state.isFinal {
            record.stdoutBytes = sending[.stdout]
            record.stderrBytes = sending[.stderr]
            record.host = host
            steps.append(.reportFinished(record, savingSession: sessionCommand))
        }
        return steps
    }

    /// `step` was carried out: PostgreSQL took it (a send: up to `to`).
    mutating func completed(_ step: Step) {
        switch step {
        case .reportRunning: reportedRunning = true
        case .pumpInput: break
        case .send(let stream, _, let to): sent[stream] = max(sent[stream] ?? 0, to)
        case .reportFinished: finished = true
        }
    }
}
