import Glibc

/// Reads a terminal job's `TerminalFacts` from the kernel: `/proc/<pid>/stat` (the
/// terminal and its foreground group), `/proc/<pid>/syscall` or `wchan` (where each
/// process of that group sleeps) and the terminal's termios (echo, line mode).
public enum TerminalProbe {
    /// The terminal of `leader` (a terminal job's command, which leads the terminal's
    /// session), or nil when that pid is not such a process any more.
    public static func terminal(ofLeader leader: Int32) -> (device: DeviceNumber, foregroundGroup: Int32)? {
        guard let stat = ProcessProbe.stat(leader), stat.session == leader, stat.terminal != 0 else { return nil }
        return (DeviceNumber(ttyNumber: stat.terminal), stat.foregroundGroup)
    }

    /// The facts, or nil when `leader` no longer leads a session on a terminal.
    public static func facts(leader: Int32) -> TerminalFacts? {
        guard let (device, foreground) = terminal(ofLeader: leader) else { return nil }
        var members: [TerminalFacts.Member] = []
        if foreground > 0 {
            for pid in descendants(of: leader) {
                guard let stat = ProcessProbe.stat(pid), stat.group == foreground else { continue }
                members.append(.init(pid: pid, state: stat.state, wait: stat.state == "S" ? wait(pid, terminal: device) : .elsewhere))
            }
        }
        guard let terminal = TerminalDevice(device: device) else { return nil }
        guard let modes = terminal.modes() else { return nil }
        return TerminalFacts(foreground: members, echo: modes.echo, canonical: modes.canonical)
    }

    /// `leader` and every process below it, by `/proc/<pid>/task/<tid>/children`.
    static func descendants(of leader: Int32) -> [Int32] {
        var found: [Int32] = [], next = [leader]
        var seen = Set<Int32>()
        while let pid = next.popLast(), found.count < 4096 {
            guard seen.insert(pid).inserted else { continue }
            found.append(pid)
            for task in FileSystem.list("/proc/\(pid)/task") {
                guard let bytes = try? FileSystem.read("/proc/\(pid)/task/\(task)/children", limit: 65536) else { continue }
                next += String(decoding: bytes, as: UTF8.self).split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
        }
        return found
    }

    /// Where a sleeping process waits. `/proc/<pid>/syscall` names the call and its
    /// descriptor; where it cannot be read (it needs ptrace access), `wchan` says where in
    /// the kernel the process sleeps, and standard input is taken as the descriptor.
    static func wait(_ pid: Int32, terminal device: DeviceNumber) -> TerminalFacts.Wait {
        if let bytes = try? FileSystem.read("/proc/\(pid)/syscall", limit: 512) {
            let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ")
            if let number = fields.first.flatMap({ Int($0) }) {
                if SyscallNumbers.reads.contains(number), fields.count > 1,
                   let descriptor = Int(fields[1].dropFirst(2), radix: 16) {
                    return isTerminal(pid, descriptor: descriptor, device: device) ? .terminalRead : .elsewhere
                }
                if SyscallNumbers.waits.contains(number) {
                    return isTerminal(pid, descriptor: 0, device: device) ? .pollWithTerminal : .elsewhere
                }
                return .elsewhere
            }
        }
        guard let bytes = try? FileSystem.read("/proc/\(pid)/wchan", limit: 256) else { return .elsewhere }
        let where_ = String(decoding: bytes, as: UTF8.self)
        guard isTerminal(pid, descriptor: 0, device: device) else { return .elsewhere }
        if where_ == "n_tty_read" || where_ == "wait_woken" { return .terminalRead }
        if where_.hasPrefix("poll_schedule_timeout") || ["do_select", "do_sys_poll", "ep_poll", "core_sys_select"].contains(where_) {
            return .pollWithTerminal
        }
        return .elsewhere
    }

    /// Whether the descriptor is the terminal: its device, or `/dev/tty` (the controlling
    /// terminal, which `getpass` and `less` open), which for a process of this session is it.
    static func isTerminal(_ pid: Int32, descriptor: Int, device: DeviceNumber) -> Bool {
        var info = stat()
        guard stat("/proc/\(pid)/fd/\(descriptor)", &info) == 0, (info.st_mode & S_IFMT) == S_IFCHR else { return false }
        let opened = DeviceNumber(UInt64(info.st_rdev))
        return opened == device || opened == DeviceNumber.controllingTerminal
    }
}
