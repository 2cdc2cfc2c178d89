import Foundation

/// A request as written into `queue/<priority>/<id>.json`: everything a worker needs to
/// run the command, and nothing about its progress (that is `status.json`).
public struct JobRequest: Codable, Sendable, Equatable {
    public var job: JobID
    public var command: String
    public var cwd: String?
    public var env: [String: String]?
    /// Seconds after which the whole process group is terminated.
    public var timeout: Double?
    /// One-shot standard input.
    public var stdin: String?
    /// Shell that runs `command` as `SHELL -c COMMAND`; `/bin/sh` by default.
    public var shell: String?
    public var priority: Priority
    public var createdAt: Timestamp
    /// The session whose shell runs this command (its request waits in
    /// `sessions/<session>/queue/`), or, for `kind == .session`, the session it opens.
    public var session: SessionID?
    /// What the request asks for: a command (default) or opening a persistent session.
    public var kind: RequestKind?
    /// How many times a job run on another host may be claimed again when that host is
    /// lost while running it (its lease ran out). 0 or nil: it is reported `lost`.
    public var retries: Int?
    /// The MCP client that asked for it (DESIGN.md, "Audit log"); nil for a request
    /// dropped into the queue by hand.
    public var client: AuditClient?
    /// `tty: true`: the command runs on a pseudo-terminal held by its keeper (DESIGN.md,
    /// "Terminals"); its input arrives through `send_input` as with `stdin: "pipe"`.
    public var tty: Bool?
    /// The terminal's size; nil sides take `TerminalSize.standard`'s.
    public var cols: Int?
    public var rows: Int?
    /// On a worker host: the claim in PostgreSQL it runs under (written by the receiving relay).
    public var claim: HostClaim?
    /// What its submitter promised about the outcome; nil is `.jobID` (DESIGN.md, "Durability
    /// follows the promise").
    public var promise: JobPromise?

    /// The terminal the command runs on, or nil when it runs on plain files and pipes.
    public var terminal: TerminalSize? {
        guard tty == true else { return nil }
        return TerminalSize(cols: cols ?? TerminalSize.standard.cols, rows: rows ?? TerminalSize.standard.rows)
    }

    /// `stdin: "pipe"` or a terminal: input arrives through `send_input` while the job runs.
    public var stdinIsPipe: Bool { stdin == Self.stdinPipe || tty == true }
    public static let stdinPipe = "pipe"
    public var opensSession: Bool { kind == .session }

    /// The shell that runs the command. A terminal's default is bash where there is one:
    /// Ctrl-C reaches the shell as well as the program, and bash, unlike dash, goes on when
    /// the program caught it (so a REPL interrupted and then left ends with its own status).
    public var effectiveShell: String {
        shell ?? (tty == true ? Self.bashOrSh : "/bin/sh")
    }

    /// `/bin/bash` where it exists, else `/bin/sh`: the default of terminals and sessions.
    public static var bashOrSh: String { access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh" }

    /// Linux refuses a single exec argument longer than MAX_ARG_STRLEN (32 pages).
    public static let maxCommandBytes = 131_071
    /// The most bytes a request file may have, as JSON. Submitting refuses anything larger
    /// and every reader accepts up to this, so no job id is handed out for a request that a
    /// worker could not read.
    public static let maxFileBytes = 2 << 20
    public static let maxRetries = 100

    public init(
        job: JobID = .make(), command: String, cwd: String? = nil, env: [String: String]? = nil,
        timeout: Double? = nil, stdin: String? = nil, shell: String? = nil,
        priority: Priority, createdAt: Timestamp? = nil, session: SessionID? = nil, kind: RequestKind? = nil
    ) {
        self.job = job
        self.command = command
        self.cwd = cwd
        self.env = env
        self.timeout = timeout
        self.stdin = stdin
        self.shell = shell
        self.priority = priority
        self.createdAt = createdAt ?? job.createdAt
        self.session = session
        self.kind = kind
    }

    enum CodingKeys: String, CodingKey {
        case job, command, cwd, env, timeout, stdin, shell, priority, createdAt, session, kind, retries, client, tty, cols, rows, claim, promise
    }

    /// Hand-written requests (a file dropped into the queue) may leave out everything but
    /// `command`; the id then comes from the file name and the priority from the folder.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let fallback = decoder.userInfo[.requestDefaults] as? RequestDefaults
        guard let job = try c.decodeIfPresent(JobID.self, forKey: .job) ?? fallback?.job else {
            throw DecodingError.keyNotFound(CodingKeys.job, .init(codingPath: [], debugDescription: "job"))
        }
        self.job = job
        command = try c.decode(String.self, forKey: .command)
        cwd = try c.decodeIfPresent(String.self, forKey: .cwd)
        env = try c.decodeIfPresent([String: String].self, forKey: .env)
        timeout = try c.decodeIfPresent(Double.self, forKey: .timeout)
        stdin = try c.decodeIfPresent(String.self, forKey: .stdin)
        shell = try c.decodeIfPresent(String.self, forKey: .shell)
        guard let priority = try c.decodeIfPresent(Priority.self, forKey: .priority) ?? fallback?.priority else {
            throw DecodingError.keyNotFound(CodingKeys.priority, .init(codingPath: [], debugDescription: "priority"))
        }
        self.priority = priority
        createdAt = try c.decodeIfPresent(Timestamp.self, forKey: .createdAt) ?? job.createdAt
        session = try c.decodeIfPresent(SessionID.self, forKey: .session)
        kind = try c.decodeIfPresent(RequestKind.self, forKey: .kind)
        retries = try c.decodeIfPresent(Int.self, forKey: .retries)
        // Only a record of who asked: a malformed one does not make the request unrunnable.
        client = (try? c.decodeIfPresent(AuditClient.self, forKey: .client)) ?? nil
        tty = try c.decodeIfPresent(Bool.self, forKey: .tty)
        cols = try c.decodeIfPresent(Int.self, forKey: .cols)
        rows = try c.decodeIfPresent(Int.self, forKey: .rows)
        claim = try c.decodeIfPresent(HostClaim.self, forKey: .claim)
        // Unknown values (a newer writer's) promise the most: the outcome is flushed.
        promise = (try? c.decodeIfPresent(JobPromise.self, forKey: .promise)) ?? nil
    }

    /// Why the request cannot be run, in words a user can act on; nil when fine.
    public var problem: String? { requestProblem?.description }

    /// The first problem that makes the request unrunnable, from its content alone (no
    /// file system checks: `CommandSettings` adds those where a tool is called).
    public var requestProblem: RequestProblem? {
        if opensSession {
            if session?.opener != job { return .sessionMismatch }
        } else if command.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return .emptyCommand
        }
        if command.utf8.count > Self.maxCommandBytes { return .commandTooLong(bytes: command.utf8.count) }
        if command.utf8.contains(0) { return .nulInCommand }
        // C strings end at a NUL: `/tmp\0/x` would silently become `/tmp`.
        if let cwd, cwd.utf8.contains(0) { return .nulIn(argument: "cwd") }
        if let shell, shell.utf8.contains(0) { return .nulIn(argument: "shell") }
        if let timeout, !(timeout > 0 && timeout.isFinite) { return .badTimeout }
        if let retries, !(0...Self.maxRetries).contains(retries) { return .badRetries }
        if tty != true, cols != nil || rows != nil { return .sizeWithoutTerminal }
        if let terminal, !terminal.isValid { return .badTerminalSize }
        if tty == true, let stdin, stdin != Self.stdinPipe { return .inputOnTerminal }
        if tty == true, session != nil { return .terminalInSession }
        if let cwd, cwd.first != "/" { return .relativePath(argument: "cwd", path: cwd) }
        if let shell, shell.first != "/" { return .relativePath(argument: "shell", path: shell) }
        if let env { return Self.envProblem(env) }
        return nil
    }

    /// What is wrong with an environment for a command, if anything.
    public static func envProblem(_ env: [String: String]) -> RequestProblem? {
        for key in env.keys.sorted() where key.isEmpty || key.contains("=") || key.utf8.contains(0) {
            return .badEnvName(key)
        }
        for value in env.values where value.utf8.contains(0) { return .nulInEnvValue }
        return nil
    }
}

/// What a request file's location says when its content does not.
public struct RequestDefaults: Sendable {
    public var job: JobID
    public var priority: Priority

    public init(job: JobID, priority: Priority) {
        self.job = job
        self.priority = priority
    }
}

extension CodingUserInfoKey {
    public static let requestDefaults = CodingUserInfoKey(rawValue: "spool.requestDefaults")!
}

import Glibc

extension JobRequest {
    /// Decodes a request file found at a queue or active path.
    public static func load(path: String, defaults: RequestDefaults) throws(SpoolError) -> JobRequest {
        guard let bytes = try FileSystem.read(path, limit: maxFileBytes) else {
            throw .io(operation: "reading", path: path, errno: ENOENT)
        }
        return try decode(bytes, path: path, defaults: defaults)
    }

    /// Decodes a request file's bytes (read already, or carried from another host);
    /// `path` names them in errors.
    public static func decode(_ bytes: [UInt8], path: String, defaults: RequestDefaults) throws(SpoolError) -> JobRequest {
        try SpoolJSON.decode(JobRequest.self, from: bytes, path: path, userInfo: [.requestDefaults: defaults])
    }
}

extension JobRequest {
    /// The request file's bytes; throws `requestTooLarge` past `maxFileBytes`.
    public func encodedForSpool() throws(SpoolError) -> [UInt8] {
        let bytes = try SpoolJSON.encode(self)
        guard bytes.count <= Self.maxFileBytes else { throw .requestTooLarge(bytes: bytes.count, limit: Self.maxFileBytes) }
        return bytes
    }
}
