/// Everything that can go wrong in the spool, each with a message that says what to do.
public enum SpoolError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidJobID(String)
    case invalidWorkerName(String)
    case unknownJob(JobID)
    /// A session id given where a job id was expected.
    case sessionNotJob(JobID)
    case io(operation: String, path: String, errno: Int32)
    case corruptFile(path: String, reason: String)
    case watcherUnavailable(String)
    /// A file larger than its reader accepts; never cut short and parsed as if complete.
    case fileTooLarge(path: String, size: Int64, limit: Int)
    /// A spool path that holds a FIFO, a device, a folder or a link where a file belongs
    /// (put there by hand, or by a job running as the same user); never opened for reading.
    case notRegularFile(path: String, kind: String)
    /// A request that could not be accepted because it is larger than a spool request may be.
    case requestTooLarge(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .invalidJobID(let text):
            let shown = text.count > 40 ? String(text.prefix(40)) + "… (\(text.utf8.count) bytes)" : text
            return "'\(shown)' is not a job id: ids are the 26-character ULIDs that run and start return"
        case .invalidWorkerName(let text):
            return "'\(text.prefix(40))' is not a usable worker name: use 1-100 of A-Z a-z 0-9 . _ -"
        case .unknownJob(let id):
            return "no job \(id) in this spool: it may have been removed by retention, or belongs to another spool (use list to see jobs)"
        case .sessionNotJob(let id):
            return "\(id) is a session, not a job: use session_list to see it, session_end (or cancel with session) to close it, and pass it as session to run commands in it"
        case .io(let operation, let path, let code):
            return "\(operation) \(path) failed: \(String(cString: strerrorText(code))) (check the spool's permissions and free space)"
        case .corruptFile(let path, let reason):
            return "\(path) is unreadable: \(reason)"
        case .fileTooLarge(let path, let size, let limit):
            return "\(path) is too large: \(size) bytes, more than the \(limit) bytes it may have"
        case .notRegularFile(let path, let kind):
            return "\(path) is \(kind), not a regular file; Spool does not read it (remove it, or move it aside, to use that record again)"
        case .requestTooLarge(let bytes, let limit):
            return "the request is \(bytes) bytes as JSON, more than the \(limit / 1024) KiB a spool request may be: write large input (stdin, env) to a file and have the command read it (for example `command < /path/to/input`)"
        case .watcherUnavailable(let reason):
            return "cannot watch the spool with inotify: \(reason) (raise fs.inotify.max_user_watches / max_user_instances)"
        }
    }
}

import Glibc
@inline(__always) func strerrorText(_ code: Int32) -> UnsafeMutablePointer<CChar> { strerror(code) }
