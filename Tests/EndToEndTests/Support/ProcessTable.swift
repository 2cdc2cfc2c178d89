import Foundation

/// Reads /proc: which processes of a process group are still alive (zombies, which are
/// dead but not yet reaped by init, do not count).
enum ProcessTable {
    static func liveMembers(ofGroup group: Int32) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> Int32? in
            guard let pid = Int32(name),
                  let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // Fields after "comm)": state ppid pgrp ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", Int32(fields[2]) == group else { return nil }
            return pid
        }
    }

    /// Whether `pid` has ended and waits to be reaped (state Z in /proc/<pid>/stat).
    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    /// Waits up to `timeout` seconds for a group to have no live members.
    static func waitGone(group: Int32, timeout: Double = 5) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if liveMembers(ofGroup: group).isEmpty { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
