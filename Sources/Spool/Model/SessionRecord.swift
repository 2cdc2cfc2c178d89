/// `sessions/<id>/session.json`: where a persistent shell session stands.
public struct SessionRecord: Codable, Sendable, Equatable {
    public var session: SessionID
    public var state: SessionState
    /// As asked for by `session_start`; the live values are in `cwd` and `env.sh`.
    public var cwd: String?
    public var env: [String: String]?
    public var shell: String?
    public var worker: WorkerName?
    /// The shell's pid (its process group id).
    public var pid: Int32?
    public var createdAt: Timestamp
    public var readyAt: Timestamp?
    public var lastActivityAt: Timestamp?
    /// Set once the session has been idle for half its idle limit.
    public var abandonedAt: Timestamp?
    public var closedAt: Timestamp?
    /// Commands finished so far, and how often the shell was (re)started.
    public var commands: Int
    public var restarts: Int
    public var reason: String?
    /// Many hosts: the session runs on another host (its opener went through the relay), and
    /// which one; this spool's recovery leaves it to the relay.
    public var remote: Bool?
    public var host: String?

    public init(session: SessionID, state: SessionState, cwd: String?, env: [String: String]?, shell: String?,
                createdAt: Timestamp) {
        self.session = session
        self.state = state
        self.cwd = cwd
        self.env = env
        self.shell = shell
        self.createdAt = createdAt
        commands = 0
        restarts = 0
    }
}

public enum SessionState: String, Codable, Sendable, CaseIterable {
    /// Waiting for a worker slot.
    case queued
    /// A shell is up (or being restarted) and takes commands.
    case ready
    case closed
}
