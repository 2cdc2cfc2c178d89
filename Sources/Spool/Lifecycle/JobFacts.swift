/// Everything the spool says about one job at one moment, read by `JobFacts.read` (the
/// one reader). The lifecycle rules (`JobLifecycle`) decide from these values alone, so
/// every rule is testable without a spool on disk.
public struct JobFacts: Sendable, Equatable {
    /// Which folder holds the job's request file: the folder is the state.
    public enum Place: Sendable, Equatable {
        case queued(Priority)
        /// `active/<worker>/`: claimed by that worker.
        case claimed(WorkerName)
        case sessionQueued(session: SessionID)
        case sessionRunning(session: SessionID)
        case done
        /// No request file anywhere (unknown, or removed by retention).
        case nowhere
    }

    /// A file that may be missing, present, or present but unreadable. Unreadable is kept
    /// apart from missing: an error is never turned into "not there".
    public enum Record<Value: Sendable & Equatable>: Sendable, Equatable {
        case absent
        case present(Value)
        case unreadable(SpoolError)

        public var value: Value? {
            if case .present(let value) = self { return value }
            return nil
        }

        public var error: SpoolError? {
            if case .unreadable(let error) = self { return error }
            return nil
        }
    }

    /// The job folder's flock: held by the supervisor and keeper while the command runs,
    /// and by a worker deciding about the job.
    public enum Lock: Sendable, Equatable {
        /// Not asked: probing takes the lock for a moment, which only an owner may do.
        case notProbed
        /// Someone else holds it: a command of this job is alive (or being started).
        case heldElsewhere
        /// The reader holds it, so nothing else acts on the job while it decides.
        case heldByReader
        /// Nobody holds it: no command of this job is alive.
        case free
    }

    /// The worker whose `active/` folder holds the request, as its lock says.
    public enum Owner: Sendable, Equatable {
        case notProbed
        /// Alive: it owns the job (runs it, relays its markers, files its end).
        case alive
        case dead
        /// The reader is the owner's next life (a worker restarted with the same name).
        case previousLife
    }

    /// Whether the command's process group still has a process (checked against the
    /// job's session, so a reused number is not mistaken for it). Probed only where a
    /// decision needs it: after the keeper and supervisor are gone.
    public enum Group: Sendable, Equatable {
        case notProbed
        case alive
        case gone
    }

    public var job: JobID
    public var place: Place
    /// The id names a session folder (`sessions/<id>/`), not a job.
    public var isSession: Bool
    public var status: Record<JobStatus>
    public var exit: Record<SupervisorExit>
    /// The request as found at `place`; only read by those who act on it (recovery).
    public var request: Record<JobRequest>
    public var lock: Lock
    public var group: Group
    public var owner: Owner
    /// 1-based place in the serving order while it waits.
    public var position: Int?
    public var cancelRequested: Bool
    public var stdoutBytes: Int64
    public var stderrBytes: Int64

    public init(job: JobID, place: Place, isSession: Bool = false, status: Record<JobStatus> = .absent,
                exit: Record<SupervisorExit> = .absent, request: Record<JobRequest> = .absent,
                lock: Lock = .notProbed, group: Group = .notProbed, owner: Owner = .notProbed, position: Int? = nil, cancelRequested: Bool = false, stdoutBytes: Int64 = 0, stderrBytes: Int64 = 0) {
        self.job = job
        self.place = place
        self.isSession = isSession
        self.status = status
        self.exit = exit
        self.request = request
        self.lock = lock
        self.group = group
        self.owner = owner
        self.position = position
        self.cancelRequested = cancelRequested
        self.stdoutBytes = stdoutBytes
        self.stderrBytes = stderrBytes
    }
}
