import CSpoolSpawn
import Glibc
import Spool

/// What the worker does for a command it inherited (its keeper, supervisor and fork server
/// died, and the worker is a child subreaper): the keeper's duties, carried out from
/// `JobRunner.awaitRecord`. While the command is the worker's child, its cancel and
/// timeout are carried out on its group (`OrphanGroup` decides when); once it has ended,
/// `check` returns the exit record to write before the command is reaped.
struct OrphanKeeper {
    let status: JobStatus?
    let rule: OrphanGroup?
    /// Whether the command was this worker's child at the last check.
    private(set) var isChild = false
    private var cancelled = false
    private var timedOut = false

    init(status: JobStatus?, timeout: Double?, grace: Double) {
        self.status = status
        rule = status.map { OrphanGroup(status: $0, timeout: timeout, grace: grace) }
    }

    /// The exit record once the inherited command has ended; otherwise carries out what is due.
    mutating func check(cancelRequestedAt: Timestamp?, now: Timestamp) -> SupervisorExit? {
        guard let status, let pid = status.pid, let rule else { return nil }
        var code: Int32 = -1, signal: Int32 = 0
        switch spool_child_state(pid, &code, &signal) {
        case -1:
            isChild = false
            return nil
        case 0:
            isChild = true
            let signal = rule.signal(cancelRequestedAt: cancelRequestedAt, now: now)
            if signal != .none, !cancelled, !timedOut {
                if cancelRequestedAt != nil { cancelled = true } else { timedOut = true }
            }
            rule.enforce(cancelRequestedAt: cancelRequestedAt, now: now)
            return nil
        default:
            isChild = true
            var exit = SupervisorExit(
                pid: pid, exitCode: code >= 0 ? code : nil, signal: code >= 0 ? nil : signal,
                timedOut: timedOut, cancelled: cancelled,
                startedAtNs: status.startedAt?.nanoseconds ?? now.nanoseconds, finishedAtNs: now.nanoseconds)
            exit.recordedBy = "worker"
            return exit
        }
    }

    /// Reaps the ended command (after its record was written); after a cancel or timeout,
    /// nothing of the job may survive.
    func reap() {
        guard let pid = status?.pid else { return }
        _ = spool_reap(pid)
        if cancelled || timedOut { kill(-pid, SIGKILL) }
    }

    /// Seconds until the timeout or the end of the grace period, while this worker keeps it.
    func secondsToNextDeadline(now: Timestamp) -> Double? {
        guard isChild, let rule else { return nil }
        if cancelled || timedOut { return rule.grace / 4 }
        return rule.timeoutDue.map { max(0, $0.seconds - now.seconds) }
    }
}
