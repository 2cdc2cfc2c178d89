/// Which queue a request waits in. `sync`: an agent is blocked on it, always served first.
public enum Priority: String, Codable, Sendable, CaseIterable {
    case sync
    case async
}
