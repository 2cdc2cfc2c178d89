import Foundation

/// Decides whether async work may be claimed now: not while the 1-minute load per core
/// is above `maxLoad`, nor while more than `maxMemory` percent of memory is in use.
/// Sync requests are never throttled (an agent is waiting on them).
struct Throttle: Sendable {
    /// 0 = no limit.
    let maxLoad: Double
    /// Percent of MemTotal in use (MemTotal − MemAvailable); 0 = no limit.
    let maxMemory: Double

    /// Why async work is held back right now, or nil when it is not.
    func reason() -> String? {
        if maxLoad > 0, let load = Self.loadPerCore(), load > maxLoad {
            return String(format: "load %.2f per core is above --max-load %.2f", load, maxLoad)
        }
        if maxMemory > 0, let used = Self.memoryUsedPercent(), used > maxMemory {
            return String(format: "memory %.0f%% in use is above --max-memory %.0f%%", used, maxMemory)
        }
        return nil
    }

    static func loadPerCore() -> Double? {
        // No /proc: no basis to throttle on, so nothing is held back.
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
              let first = text.split(separator: " ").first, let load = Double(first) else { return nil }
        return load / Double(max(1, ProcessInfo.processInfo.activeProcessorCount))
    }

    static func memoryUsedPercent() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil } // as above
        var total: Double?, available: Double?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let value = Double(parts[1]) else { continue }
            if parts[0] == "MemTotal:" { total = value }
            if parts[0] == "MemAvailable:" { available = value }
        }
        guard let total, let available, total > 0 else { return nil }
        return 100 * (total - available) / total
    }
}
