import Glibc

/// Passes a running job's marker files to the processes that keep it, as signals:
/// `cancel` as SIGUSR1 (TERM, then KILL of the command's group) and `stdin.eof` as SIGUSR2
/// (they let go of the stdin FIFO). Both the supervisor and the keeper are told: the
/// supervisor forwards to the keeper and holds a write end of the FIFO of its own, and
/// carries the job on when the keeper has died; the keeper alone is left when the
/// supervisor has died. Only the job's owner calls it: its worker while it lives, and
/// whoever recovers the job once that worker is dead. Signals are idempotent for both, so
/// relaying the same marker twice is harmless. When both are gone, the fork server or the
/// worker that inherited the command reads the markers itself.
public enum MarkerRelay {
    /// Whether the job has a marker to relay (two stats: cheaper than reading its status).
    public static func hasMarkers(_ id: JobID, records: JobRecords) -> Bool {
        records.isCancelRequested(id) || FileSystem.exists(records.layout.job(id, .stdinEOF))
    }

    public static func relay(_ id: JobID, status: JobStatus, records: JobRecords) {
        let wantsCancel = records.isCancelRequested(id)
        let wantsEOF = FileSystem.exists(records.layout.job(id, .stdinEOF))
        guard wantsCancel || wantsEOF else { return }
        for pid in [status.supervisorPid, status.keeperPid].compactMap({ $0 }) where keeps(pid, id, records: records) {
            if wantsCancel { kill(pid, SIGUSR1) }
            if wantsEOF { kill(pid, SIGUSR2) }
        }
    }

    /// A recorded pid is signalled only while it still names a process that holds the
    /// job's folder open (pids are reused; another job's supervisor must never be told).
    static func keeps(_ pid: Int32, _ id: JobID, records: JobRecords) -> Bool {
        ProcessProbe.holds(pid, directory: records.layout.job(id))
    }
}
