/// A session's saved state as one value: the files its last command left (`cwd`, `env.sh`,
/// `functions.sh`), so it can travel (the relay keeps it in PostgreSQL) and be laid down in
/// another host's spool, where the session then opens as a worker reopens one locally.
public struct SessionSnapshot: Codable, Sendable, Equatable {
    public var cwd: String?
    public var env: String?
    public var functions: String?

    public init(cwd: String? = nil, env: String? = nil, functions: String? = nil) {
        self.cwd = cwd
        self.env = env
        self.functions = functions
    }

    static let files: [SessionFile] = [.cwd, .env, .functions]

    subscript(file: SessionFile) -> String? {
        get {
            switch file {
            case .cwd: cwd
            case .env: env
            case .functions: functions
            default: nil
            }
        }
        set {
            switch file {
            case .cwd: cwd = newValue
            case .env: env = newValue
            case .functions: functions = newValue
            default: break
            }
        }
    }

    /// What `sessions/<id>/` holds now (a file not there is nil).
    public static func read(_ id: SessionID, layout: SpoolLayout) throws(SpoolError) -> SessionSnapshot {
        var snapshot = SessionSnapshot()
        for file in files {
            snapshot[file] = try FileSystem.read(layout.session(id, file)).map { String(decoding: $0, as: UTF8.self) }
        }
        return snapshot
    }

    /// Lays the state down in `sessions/<id>/` (each file whole, by rename); nil fields
    /// leave their files alone.
    public func write(_ id: SessionID, layout: SpoolLayout) throws(SpoolError) {
        try FileSystem.makeDirectory(layout.session(id))
        for file in Self.files {
            guard let text = self[file] else { continue }
            try AtomicFile.write(Array(text.utf8), to: layout.session(id, file), layout: layout)
        }
    }
}
