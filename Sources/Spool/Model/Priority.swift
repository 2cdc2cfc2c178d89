/// Which queue a request waits in. `sync`: an agent is blocked on it, always served first.
public enum Priority: String, Codable, Sendable, CaseIterable {
    case sync
    case async
}

/// What a queued request asks a worker to do.
public enum RequestKind: String, Codable, Sendable {
    /// Run `command` once (the default when the field is absent).
    case command
    /// Open a persistent shell session and keep it until it is ended or idle too long.
    case session
}
