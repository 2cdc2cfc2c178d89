/// The keeper's note of a command's start: the first line of the space it reserved for
/// `exit.json` (`jobs/<id>/.exit.json.tmp`), "start CPID KPID SPID TTY STARTED_NS".
///
/// A worker writes the running `status.json` only once a job has run for
/// `Settings.runningStatusDelay`, so a short job touches its status once. Until then this
/// note is the record of which processes run the job: a process recovering it after its
/// worker, supervisor and keeper all died reads it to find the command's group, exactly as
/// it would read the running status.
public struct KeeperStart: Sendable, Equatable {
    public var pid: Int32
    public var keeperPid: Int32
    public var supervisorPid: Int32
    /// A terminal's command leads its own session (the group probe looks there).
    public var tty: Bool
    public var startedAt: Timestamp

    public init(pid: Int32, keeperPid: Int32, supervisorPid: Int32, tty: Bool, startedAt: Timestamp) {
        self.pid = pid
        self.keeperPid = keeperPid
        self.supervisorPid = supervisorPid
        self.tty = tty
        self.startedAt = startedAt
    }

    /// Parses the note at the start of `bytes`; nil when they hold anything else (the
    /// reserved spaces before the start, or the end being written over it).
    public init?(_ bytes: some Collection<UInt8>) {
        guard let newline = bytes.firstIndex(of: 10) else { return nil }
        let fields = bytes[..<newline].split(separator: 32, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard fields.count == 6, fields[0] == "start",
              let pid = Int32(fields[1]), pid > 0, let keeper = Int32(fields[2]), keeper > 0,
              let supervisor = Int32(fields[3]), supervisor > 0, fields[4] == "0" || fields[4] == "1",
              let started = Int64(fields[5]), started > 0
        else { return nil }
        self.init(pid: pid, keeperPid: keeper, supervisorPid: supervisor, tty: fields[4] == "1", startedAt: Timestamp(nanoseconds: started))
    }
}
