import CSpoolSpawn
import Glibc
import Spool
import Synchronization

/// The worker is a child subreaper (as its fork server is): when a job's keeper,
/// supervisor and fork server have all died, the command and whatever else the job left
/// running are reparented to the worker instead of to init, so the worker can record the
/// command's real exit status (`JobRunner.awaitRecord`).
///
/// Everything else that lands here must be reaped too, or it stays a zombie. The sweep
/// reaps only ended children that are neither in the worker's own session (swift-subprocess
/// collects those it started: relays) nor session leaders (supervisors, which their runner
/// collects, and session shells, which swift-subprocess started with a session of their
/// own), and never a command a runner is keeping: it must be recorded before it is reaped.
enum OrphanReaper {
    private static let kept = Mutex<Set<Int32>>([])

    static func becomeSubreaper() -> Int32 {
        spool_become_subreaper()
    }

    /// A running job's command: never reaped by the sweep.
    static func keep(_ pid: Int32) { _ = kept.withLock { $0.insert(pid) } }
    static func release(_ pid: Int32) { _ = kept.withLock { $0.remove(pid) } }

    /// Reaps the ended children described above; returns how many.
    @discardableResult
    static func sweep() -> Int {
        let own = getsid(0)
        var reaped = 0
        for task in FileSystem.list("/proc/self/task") {
            guard let bytes = try? FileSystem.read("/proc/self/task/\(task)/children", limit: 1 << 20) else { continue }
            for word in String(decoding: bytes, as: UTF8.self).split(separator: " ") {
                guard let pid = Int32(word), let stat = ProcessProbe.stat(pid), stat.state == "Z",
                      stat.session != own, stat.session != pid, !kept.withLock({ $0.contains(pid) }) else { continue }
                if spool_reap(pid) == 0 { reaped += 1 }
            }
        }
        return reaped
    }

    /// Collects a supervisor that became the worker's child (its fork server died) once it
    /// has exited; its end of the pid pipe is closed by then, so this does not wait long.
    static func collectSupervisor(_ pid: Int32) {
        var code: Int32 = 0, signal: Int32 = 0
        if spool_child_state(pid, &code, &signal) >= 0 { _ = spool_reap(pid) }
    }
}
