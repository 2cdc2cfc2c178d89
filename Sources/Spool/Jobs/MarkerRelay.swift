import Glibc

/// Passes a running job's marker files to its keeper as signals: `cancel` as SIGUSR1
/// (TERM, then KILL of the command's group) and `stdin.eof` as SIGUSR2 (the keeper lets
/// go of the stdin FIFO). Only the job's owner calls it: its worker while it lives, and
/// whoever recovers the job once that worker is dead. Signals are idempotent for the
/// keeper, so relaying the same marker twice is harmless.
public enum MarkerRelay {
    /// Whether the job has a marker to relay (two stats: cheaper than reading its status).
    public static func hasMarkers(_ id: JobID, records: JobRecords) -> Bool {
        records.isCancelRequested(id) || FileSystem.exists(records.layout.job(id, .stdinEOF))
    }

    public static func relay(_ id: JobID, to keeper: Int32, records: JobRecords) {
        let wantsCancel = records.isCancelRequested(id)
        let wantsEOF = FileSystem.exists(records.layout.job(id, .stdinEOF))
        guard wantsCancel || wantsEOF, isKeeper(keeper), records.isSupervised(id) else { return }
        if wantsCancel { kill(keeper, SIGUSR1) }
        if wantsEOF { kill(keeper, SIGUSR2) }
    }

    /// A recorded pid is signalled only while it still names a keeper (pids are reused).
    static func isKeeper(_ pid: Int32) -> Bool {
        guard pid > 0, let bytes = try? FileSystem.read("/proc/\(pid)/comm", limit: 64) else { return false } // gone: nothing to tell
        return String(decoding: bytes, as: UTF8.self).hasPrefix("spool-keeper")
    }
}
