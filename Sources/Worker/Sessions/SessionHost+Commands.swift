import Foundation
import Spool

/// A session's commands and records: claiming, preparing, recording their ends.
extension SessionHost {
    /// Moves a queued command to `running/` (atomic against a cancel) and hands it to the
    /// shell; nil when it did not start (taken, unreadable, rejected or cancelled, each recorded).
    func claimAndStart(_ job: JobID, watcher: SpoolWatcher) async -> Current? {
        guard let shell else { return nil }
        let running = layout.sessionRunning(job, in: id)
        let claimed: Bool
        do { claimed = try transitions.claimSessionCommand(job, session: id) } catch {
            logger.error("session \(id): cannot claim command \(job): \(error); it stays queued")
            return nil
        }
        guard claimed else { return nil }
        let request: JobRequest
        do {
            request = try JobRequest.load(path: running, defaults: RequestDefaults(job: job, priority: .sync))
        } catch {
            transitions.quarantine(running, reason: "\(error)")
            return nil
        }
        do {
            try FileSystem.makeDirectory(layout.job(job))
            _ = link(running, layout.job(job, .request))
            try AtomicFile.write(Array(request.command.utf8), to: layout.job(job, .command), layout: layout, durable: false)
            if let input = request.stdin {
                try AtomicFile.write(Array(input.utf8), to: layout.job(job, .stdin), layout: layout, durable: false)
            }
            for stream in JobStream.allCases {
                close(open(layout.job(job, stream.file), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644))
            }
            try await watcher.watch(layout.job(job), mask: WatchMask.arrivals)
        } catch {
            end(job, request: request, .lost(reason: "spool-worker could not prepare the command: \(error)"))
            return nil
        }
        if let problem = request.problem {
            end(job, request: request, .rejected(reason: problem))
            return nil
        }
        if records.isCancelRequested(job) {
            end(job, request: request, .cancelled(code: nil, signal: nil, started: false))
            return nil
        }
        let startedAt = Timestamp.now
        attempt("writing the running status of command \(job)") { () throws(SpoolError) in
            var status = JobStatus(job: job, state: .running, priority: request.priority, worker: worker,
                pid: shell.pid, createdAt: request.createdAt, startedAt: startedAt, session: id)
            if confinement.policy.isSet { status.policy = confinement.policy }
            try records.writeStatus(status, durable: false)
            AuditLog(layout: layout).record(.started(request, worker: worker, pid: shell.pid))
        }
        // If the shell is gone the write fails; its death event then ends the command.
        _ = Self.send(shell.script.run(job, hasInput: request.stdin != nil), to: shell.control)
        return Current(job: job, request: request, startedAt: startedAt)
    }

    /// Records a command's end as the machine decided it.
    func record(_ current: Current, outcome: JobOutcome, reason: String?) {
        end(current.job, request: current.request, outcome, startedAt: current.startedAt, reason: reason)
        update {
            $0.commands += 1
            $0.lastActivityAt = .now
            $0.abandonedAt = nil
        }
    }

    /// Files a session command in done/ with its final status.
    private func end(_ job: JobID, request: JobRequest, _ outcome: JobOutcome, startedAt: Timestamp? = nil, reason: String? = nil) {
        attempt("recording the end of command \(job)") { () throws(SpoolError) in
            try transitions.finish(job, from: .sessionRunning(session: id), origin: JobOrigin(request), worker: worker,
                                   ending: JobEnding(outcome: outcome, startedAt: startedAt, finishedAt: .now, reason: reason))
        }
    }

    /// The command's exit status, once its shell wrote it; nil before (its close wakes us).
    func exitCode(_ job: JobID) -> Int32? {
        guard let bytes = try? FileSystem.read(layout.job(job, .exitCode)) else { return nil } // not readable yet: not ended
        return Int32(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Makes the state the last command left the session's saved state.
    func commitState() {
        for file in [SessionFile.cwd, .env, .functions] {
            attempt("saving the session's \(file.rawValue)") { () throws(SpoolError) in try transitions.commitSessionState(id, file) }
        }
    }

    /// Commands left in `running/` by a shell that died with its worker.
    func finishInterrupted() {
        for job in store.running(id) {
            let running = layout.sessionRunning(job, in: id)
            let request: JobRequest
            do { request = try JobRequest.load(path: running, defaults: RequestDefaults(job: job, priority: .sync)) } catch {
                transitions.quarantine(running, reason: "\(error)")
                continue
            }
            let startedAt = (try? records.status(job))?.startedAt ?? .now // unreadable: the time is only for the record
            if let code = exitCode(job) {
                commitState()
                record(Current(job: job, request: request, startedAt: startedAt), outcome: .exited(code: code), reason: nil)
            } else {
                end(job, request: request, .lost(reason: "the session's worker and shell died while it ran; its exit status is unknown"))
            }
        }
        // Uncommitted state belongs to a command whose end was not recorded.
        for file in [SessionFile.cwd, .env, .functions] { FileSystem.remove(layout.session(id, file) + ".next") }
    }

    func update(_ change: (inout SessionRecord) -> Void) {
        // An unreadable record is rebuilt from the request that opened the session.
        var record = (try? store.record(id)) ?? SessionRecord(session: id, state: .ready, cwd: request.cwd,
            env: request.env, shell: request.shell, createdAt: request.createdAt)
        change(&record)
        attempt("writing the record of session \(id)") { () throws(SpoolError) in try store.write(record) }
    }
}
