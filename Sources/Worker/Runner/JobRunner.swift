import Foundation
import Logging
import Spool
import Subprocess
import SystemPackage

/// Runs one claimed job through `spool-supervisor` and records its end.
///
/// The supervisor runs in its own session and owns the command's process group, so the
/// command neither sees this worker's signals nor depends on it staying alive: if the
/// worker is killed, the supervisor still records the exit, and `Recovery` in a live
/// process finishes the bookkeeping.
struct JobRunner: Sendable {
    let layout: SpoolLayout
    let worker: WorkerName
    let supervisorPath: String
    /// Seconds between TERM and KILL when a job times out or is cancelled.
    let killGrace: Double
    /// Bytes kept per output stream; 0 = unlimited (output then goes straight to the files).
    let outputLimit: Int64
    let logger: Logger

    var records: JobRecords { JobRecords(layout: layout) }

    func run(_ request: JobRequest) async {
        let id = request.job
        do {
            try await runSupervised(request)
        } catch {
            logger.error("job \(id) could not be run: \(error)")
            _ = try? records.finish(id, worker: worker, request: request, exit: nil,
                                reason: "spool-worker could not start the job: \(error)")
        }
    }

    private func runSupervised(_ request: JobRequest) async throws {
        let id = request.job
        let directory = layout.job(id)
        try FileSystem.makeDirectory(directory)
        // The job's lock is held from here until the command has ended (the supervisor
        // inherits it). Whoever holds it decides about the job: if a process recovering
        // a dead worker holds it, or requeued the request before we got it, we back off.
        guard let lock = try FileLock.tryAcquire(directory, create: false),
              FileSystem.exists(layout.active(id, worker: worker))
        else {
            logger.warning("job \(id) is being handled by another process; leaving it")
            return
        }
        // The request as claimed, for `cat jobs/<id>/request.json`; a hard link costs no copy.
        _ = link(layout.active(id, worker: worker), layout.job(id, .request))
        let stdinMode: String
        if request.stdinIsPipe {
            // A FIFO: send_input writes into it from any process while the job runs.
            guard mkfifo(layout.job(id, .stdin), 0o600) == 0 || errno == EEXIST else {
                throw SpoolError.io(operation: "creating the stdin FIFO", path: layout.job(id, .stdin), errno: errno)
            }
            stdinMode = "pipe"
        } else if let input = request.stdin {
            try AtomicFile.write(Array(input.utf8), to: layout.job(id, .stdin), layout: layout, durable: false)
            stdinMode = "file"
        } else {
            stdinMode = "null"
        }
        if records.isCancelRequested(id) {
            try records.cancelBeforeStart(id, worker: worker, request: request)
            return
        }
        var options = PlatformOptions()
        options.createSession = true
        var environment: [Environment.Key: String?] = ["SPOOL_JOB": id.rawValue]
        for (key, value) in request.env ?? [:] {
            if let key = Environment.Key(rawValue: key) { environment[key] = value }
        }
        let arguments = [
            directory,
            String(request.timeout ?? 0),
            String(killGrace),
            stdinMode,
            request.cwd ?? "",
            request.shell ?? "/bin/sh",
            String(outputLimit),
            request.command,
        ]
        let records = self.records
        let worker = self.worker
        let result = try await Subprocess.run(
            .path(FilePath(supervisorPath)),
            arguments: Arguments(arguments),
            environment: .inherit.updating(environment),
            platformOptions: options,
            input: .fileDescriptor(FileDescriptor(rawValue: lock.descriptor), closeAfterSpawningProcess: false),
            output: .sequence,
            error: .fileDescriptor(.standardError, closeAfterSpawningProcess: false)
        ) { execution in
            // The supervisor reports the command's pid on one line, then closes the pipe.
            var text: [UInt8] = []
            for try await buffer in execution.standardOutput {
                buffer.withUnsafeBytes { text.append(contentsOf: $0) }
            }
            let supervisorPid = execution.processIdentifier.value
            guard let pid = Int32(String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            else { return }
            try records.writeStatus(JobStatus(
                job: id, state: .running, priority: request.priority, worker: worker, pid: pid,
                supervisorPid: supervisorPid, createdAt: request.createdAt, startedAt: .now), durable: false)
            // A cancel that raced the start is honoured now that there is a process to stop.
            if records.isCancelRequested(id) { kill(supervisorPid, SIGTERM) }
            // Likewise an end of input that send_input asked for before the pid was known.
            if request.stdinIsPipe, FileSystem.exists(layout.job(id, .stdinEOF)) { kill(supervisorPid, SIGUSR2) }
        }
        withExtendedLifetime(lock) {}
        if let exit = try records.exit(id) {
            try records.finish(id, worker: worker, request: request, exit: exit)
        } else {
            try records.finish(id, worker: worker, request: request, exit: nil,
                               reason: "spool-supervisor ended (\(result.terminationStatus)) without recording an exit status; see the worker's log")
        }
    }
}
