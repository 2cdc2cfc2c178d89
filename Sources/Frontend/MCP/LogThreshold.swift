import MCPWire
import Synchronization

/// The least severe `notifications/message` level a 2025-11-25 client asked for with
/// `logging/setLevel` (MCP's default when it never asks: everything).
final class LogThreshold: Sendable {
    private let level = Mutex(LogLevel.debug)

    func set(_ newLevel: LogLevel) { level.withLock { $0 = newLevel } }

    func allows(_ candidate: LogLevel) -> Bool {
        candidate >= level.withLock { $0 }
    }
}
