import CSpoolSpawn
import Foundation
import Glibc
import Spool

/// This worker's fork server (`spool-supervisor serve`): it forks each job's supervisor,
/// so no exec happens per job (measured: 0.46 ms per exec of the static supervisor).
///
/// Hand-written rather than swift-subprocess: what is started here is a fork of a running
/// process, which no spawning library offers. The server is started on first use and again
/// whenever it has gone (killed, say).
/// Supervisors do not depend on it: each starts a session of its own, and its end is seen
/// on its pid pipe, not through the server.
actor ForkServer {
    let path: String
    /// The job policy's flags: the server applies them to every job it forks (policy.c).
    let policyArguments: [String]
    private var socket: Int32 = -1
    private var pid: pid_t = 0

    init(path: String, policyArguments: [String] = []) {
        self.path = path
        self.policyArguments = policyArguments
    }

    enum Failure: Error, CustomStringConvertible {
        case cannotStart(String)
        case refused(errno: Int32)

        var description: String {
            switch self {
            case .cannotStart(let why): "cannot start the fork server (spool-supervisor serve): \(why)"
            case .refused(let code): "the fork server could not fork a supervisor: \(String(cString: strerror(code)))"
            }
        }
    }

    /// Forks a supervisor with `arguments`, the job's `environment` entries, the locked
    /// job folder as fd 0 and `pipe` (write end) as fd 1. Returns the supervisor's pid, or
    /// nil when the server went away before answering: whether it forked first is then
    /// told by the pipe alone (a pid line, or end of file with nothing), and the next
    /// call starts a new server.
    func spawn(arguments: [String], environment: [String: String], lock: Int32, pipe: Int32) throws(Failure) -> pid_t? {
        var payload: [UInt8] = []
        for text in arguments + environment.map({ "\($0.key)=\($0.value)" }) {
            payload += text.utf8.filter { $0 != 0 } // a NUL would end the argument early; requests cannot carry one
            payload.append(0)
        }
        if socket < 0 { try start() }
        let sent = payload.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                spool_fork_request(socket, $0.baseAddress, UInt32($0.count), lock, pipe)
            }
        }
        if sent == 0, let answer = readAnswer() {
            if answer > 0 { return answer }
            throw .refused(errno: -answer)
        }
        stop()
        return nil
    }

    private func readAnswer() -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 4)
        var offset = 0
        while offset < 4 {
            let n = bytes.withUnsafeMutableBytes { read(socket, $0.baseAddress! + offset, 4 - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            offset += n
        }
        return Int32(bitPattern: UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
    }

    private func start() throws(Failure) {
        var ends: [Int32] = [-1, -1]
        guard spool_socketpair_cloexec(&ends) == 0 else { throw .cannotStart("socketpair: \(String(cString: strerror(errno)))") }
        // The server's end moves to fd 3; from a number above 3, so that dup2 clears close-on-exec.
        let serverEnd = fcntl(ends[1], F_DUPFD_CLOEXEC, 10)
        close(ends[1])
        defer { if serverEnd >= 0 { close(serverEnd) } }
        guard serverEnd >= 0 else {
            close(ends[0])
            throw .cannotStart("fcntl: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, serverEnd, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        _ = spool_spawnattr_clean(&attributes, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path, "serve"] + policyArguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attributes, argv, environ)
        guard rc == 0 else {
            close(ends[0])
            throw .cannotStart("\(path): \(String(cString: strerror(rc)))")
        }
        // A server that stops answering must not hold a job forever: each answer is due at once.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(ends[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        socket = ends[0]
        pid = child
    }

    /// Closes the socket (a live server then exits) and reaps the server.
    func stop() {
        guard socket >= 0 else { return }
        close(socket)
        socket = -1
        var status: Int32 = 0
        // It exits on the socket's end of file; one that does not is killed.
        for _ in 0..<100 {
            if waitpid(pid, &status, WNOHANG) != 0 { return }
            usleep(1000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }
}
