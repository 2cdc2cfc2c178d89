import Foundation

/// Every path in a spool directory. Nothing else in Spool builds a spool path by hand,
/// so the layout documented in DESIGN.md and the README is exactly this file.
public struct SpoolLayout: Sendable, Hashable {
    /// Absolute path of the spool root (no trailing slash).
    public let root: String

    public init(root: String) {
        var path = root
        if !path.hasPrefix("/") {
            path = FileManager.default.currentDirectoryPath + "/" + path
        }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.root = path
    }

    public var tmp: String { root + "/tmp" }
    /// Inodes of retired jobs kept for new ones (`SpareInodes`): empty files, and job
    /// folders with empty `stdout`, `stderr` and exit record reserve. Under `tmp/`, where
    /// readers never look.
    public var spare: String { tmp + "/spare" }
    public var queue: String { root + "/queue" }
    public func queue(_ priority: Priority) -> String { queue + "/" + priority.rawValue }
    public func queued(_ id: JobID, _ priority: Priority) -> String {
        queue(priority) + "/" + id.fileName
    }
    public var active: String { root + "/active" }
    public func active(worker: WorkerName) -> String { active + "/" + worker.rawValue }
    public func active(_ id: JobID, worker: WorkerName) -> String {
        active(worker: worker) + "/" + id.fileName
    }
    public var done: String { root + "/done" }
    public func done(_ id: JobID) -> String { done + "/" + id.fileName }
    public var jobs: String { root + "/jobs" }
    public func job(_ id: JobID) -> String { jobs + "/" + id.rawValue }
    public func job(_ id: JobID, _ file: JobFile) -> String { job(id) + "/" + file.rawValue }
    public var workers: String { root + "/workers" }
    public func workerRecord(_ name: WorkerName) -> String { workers + "/" + name.rawValue + ".json" }
    public func workerLock(_ name: WorkerName) -> String { workers + "/" + name.rawValue + ".lock" }
    public var sessions: String { root + "/sessions" }
    public var bad: String { root + "/bad" }
    /// `audit/<YYYY-MM-DD>.jsonl`: who ran what (DESIGN.md, "Audit log").
    public var audit: String { root + "/audit" }
    public var stats: String { root + "/stats.json" }
    /// The host name this spool serves in a many-hosts setup, and the spool's own id.
    public var hostRecord: String { root + "/host.json" }

    /// The folders that must exist before anyone writes into the spool.
    public var directories: [String] {
        [root, tmp, queue, queue(.sync), queue(.async), active, done, jobs, workers, sessions, bad, slots, events, tasks, audit]
    }

    /// Creates the spool's folders (like `mkdir -p`); safe to call from every process.
    public func create() throws(SpoolError) {
        for directory in directories {
            try FileSystem.makeDirectory(directory)
        }
    }
}

/// The files a job folder (`jobs/<id>/`) may hold. The folder itself is held with flock
/// by the job's supervisor for as long as the command runs.
public enum JobFile: String, Sendable, CaseIterable {
    /// Hard link to the request as it was claimed.
    case request = "request.json"
    case status = "status.json"
    case stdout
    case stderr
    /// One-shot input given as `stdin` in the request.
    case stdin
    /// The command's end as its keeper (or whoever keeps it) recorded it, written only when
    /// no worker took the record over and filed it as the final status (main.c, "the
    /// hand-off"): after a worker's death, on a full disk, or by the fork server.
    case exit = "exit.json"
    /// The keeper's space reserved for `exit.json` (renamed to it at the end); while the
    /// command runs, its first line is the keeper's note of the start (`KeeperStart`).
    case exitReserve = ".exit.json.tmp"
    /// Present when someone asked for the job to be cancelled.
    case cancel
    /// Created by `send_input` with `eof`: the supervisor then closes the stdin FIFO.
    case stdinEOF = "stdin.eof"
    /// A terminal job's resizes, one line each: "OFFSET COLS ROWS" (the stdout size when
    /// it was resized, and the new size), appended by `send_input`.
    case terminalSizes = "tty.size"
    /// A session command's text, sourced by the session's shell.
    case command = "command.sh"
    /// A session command's exit status, written by the session's shell.
    case exitCode = "exit.code"
    /// A `run`'s job whose id was handed out after all (its wait ran out): its outcome is
    /// now promised to survive a power cut (`JobPromise.reply`). Empty.
    case promised
}

/// Paths of persistent shell sessions, `sessions/<id>/`.
extension SpoolLayout {
    public func session(_ id: SessionID) -> String { sessions + "/" + id.rawValue }
    public func session(_ id: SessionID, _ file: SessionFile) -> String { session(id) + "/" + file.rawValue }
    /// The folder of the session that the request `opener` opens, if it opens one (a
    /// job id given by a client is checked against it: is it a session?).
    public func session(_ opener: JobID) -> String { session(SessionID(opening: opener)) }
    public func session(_ opener: JobID, _ file: SessionFile) -> String { session(SessionID(opening: opener), file) }
    /// Commands waiting for the session's shell, FIFO by id.
    public func sessionQueue(_ id: SessionID) -> String { session(id) + "/queue" }
    public func sessionQueued(_ job: JobID, in session: SessionID) -> String { sessionQueue(session) + "/" + job.fileName }
    /// The command the shell is running (at most one).
    public func sessionRunning(_ id: SessionID) -> String { session(id) + "/running" }
    public func sessionRunning(_ job: JobID, in session: SessionID) -> String { sessionRunning(session) + "/" + job.fileName }

    /// Host-wide run slots for `--max-running`: a running job holds a flock on one.
    public var slots: String { root + "/slots" }
    public func slot(_ index: Int) -> String { slots + "/\(index).lock" }
    public var statsLock: String { root + "/stats.lock" }

    /// The event journal behind `/events`: one JSON line per event, appended by the one
    /// spool-mcp holding `journal.lock`; `journal.1` is the previous file after rotation.
    public var events: String { root + "/events" }
    public var eventJournal: String { events + "/journal" }
    public var previousEventJournal: String { events + "/journal.1" }
    public var eventJournalLock: String { events + "/journal.lock" }
}

/// The files of a session folder.
public enum SessionFile: String, Sendable, CaseIterable {
    /// `SessionRecord`: state, owner, times.
    case record = "session.json"
    /// The session's state after its last finished command: `cwd` (one line), `env.sh`
    /// (`export -p`), `functions.sh` (bash `declare -f`). Written as `*.next` by the
    /// shell and renamed into place by the worker once the command's exit is recorded.
    case cwd
    case env = "env.sh"
    case functions = "functions.sh"
    /// The shell's own messages; its flock is held by the session's worker and shell.
    case shellLog = "shell.log"
    /// Present once someone asked for the session to end.
    case end
    /// The session's private TMPDIR under a policy with write roots.
    case tmp
}
