import Glibc

/// Facts about a job's processes, read from the kernel. A pid alone proves nothing (pids
/// are reused), so every probe checks something only the job's own processes have: its
/// session (the supervisor's pid, which stays allocated while any process of the session
/// lives) or an open descriptor on its folder.
public enum ProcessProbe {
    /// The fields of `/proc/<pid>/stat` that say whose a process is.
    public struct Stat: Sendable, Equatable {
        public var comm: String
        public var state: Character
        public var parent: Int32
        public var group: Int32
        public var session: Int32
        /// `tty_nr`: its controlling terminal's device number (0: none).
        public var terminal: UInt32
        /// `tpgid`: the foreground process group of that terminal (-1: none).
        public var foregroundGroup: Int32
    }

    public static func stat(_ pid: Int32) -> Stat? {
        guard pid > 0, let bytes = try? FileSystem.read("/proc/\(pid)/stat", limit: 4096) else { return nil }
        return parseStat(String(decoding: bytes, as: UTF8.self))
    }

    /// "pid (comm) state ppid pgrp session tty_nr tpgid …": comm may hold anything, so
    /// fields are read after its last ')'.
    static func parseStat(_ text: String) -> Stat? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count >= 6, let state = fields[0].first, let parent = Int32(fields[1]),
              let group = Int32(fields[2]), let session = Int32(fields[3]),
              let terminal = Int32(fields[4]).map({ UInt32(bitPattern: $0) }), let foreground = Int32(fields[5]) else { return nil }
        return Stat(comm: String(text[text.index(after: open)..<close]), state: state, parent: parent, group: group, session: session,
                    terminal: terminal, foregroundGroup: foreground)
    }

    /// Whether any process of the job's process group `group` still exists (a zombie
    /// counts: its exit status has not been collected yet). With `session` (the job's
    /// supervisor pid), a group of that number in another session is not the job's.
    public static func isGroupAlive(_ group: Int32, session: Int32?) -> Bool {
        guard group > 1 else { return false }
        if kill(-group, 0) != 0 && errno == ESRCH { return false }
        guard let session else { return true }
        if let leader = stat(group), leader.group == group { return leader.session == session }
        // The leader is gone: look for a member that is the job's.
        for name in FileSystem.list("/proc") {
            guard let pid = Int32(name), let member = stat(pid) else { continue }
            if member.group == group && member.session == session { return true }
        }
        return false
    }

    /// Whether process `pid` holds `directory` open: a job's supervisor and keeper hold
    /// their job's folder (it carries the job's lock), nothing else of Spool's does.
    public static func holds(_ pid: Int32, directory: String) -> Bool {
        guard pid > 0, let target = realPath(directory) else { return false }
        let fds = "/proc/\(pid)/fd"
        return FileSystem.list(fds).contains { FileSystem.linkTarget(fds + "/" + $0) == target }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
