import CSpoolSpawn
import Foundation

/// Process plumbing shared by the end-to-end tests and spool-bench (not part of Spool).
///
/// A real child process started with posix_spawn: clean signal mask and default signal
/// dispositions (Foundation.Process launched from async code hands children a blocked
/// mask), its own process group, and pipes for stdin/stdout when asked.
public final class ChildProcess: @unchecked Sendable {
    /// Held from creating a child's pipes until its spawn is done (see `init`).
    static let spawnLock = NSLock()

    public let pid: pid_t
    /// Write end of the child's stdin (when piped).
    public let stdinFD: Int32?
    /// Read end of the child's stdout (when piped).
    public let stdoutFD: Int32?
    private var reaped = false
    private var status: Int32 = 0

    public init(_ path: String, _ arguments: [String], environment: [String: String] = [:],
         pipeStdio: Bool = false, stdoutPath: String? = nil, stderrPath: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        _ = spool_spawnattr_clean(&attributes, Int16(POSIX_SPAWN_SETPGROUP))

        var locked = false
        defer { if locked { Self.spawnLock.unlock() } }
        var inPipe: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        if pipeStdio {
            // Every end is close-on-exec (dup2 onto 0 and 1 clears the flag for this child
            // alone), and no other ChildProcess spawns between pipe and fcntl: a test process
            // spawns from many threads, and an end inherited by another child keeps the pipe
            // from ever reaching EOF. (Glibc's module does not export pipe2.)
            Self.spawnLock.lock()
            locked = true
            guard pipe(&inPipe) == 0, pipe(&outPipe) == 0 else { throw POSIXError(.EMFILE) }
            for fd in inPipe + outPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, stdoutPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        if !locked { Self.spawnLock.lock() } // spawns without pipes must not inherit one being made
        let rc = posix_spawn(&child, path, &actions, &attributes, argv, envp)
        if pipeStdio {
            close(inPipe[0])
            close(outPipe[1])
        }
        Self.spawnLock.unlock()
        locked = false
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        pid = child
        stdinFD = pipeStdio ? inPipe[1] : nil
        stdoutFD = pipeStdio ? outPipe[0] : nil
    }

    /// Ends the child's input (end of file once no copy of the write end is left). The
    /// descriptor number stays valid, on /dev/null, so it is closed once, by `deinit`.
    public func endInput() {
        guard let stdinFD else { return }
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        guard null >= 0 else { return }
        dup2(null, stdinFD)
        close(null)
    }

    public func signal(_ number: Int32) {
        kill(pid, number)
    }

    /// Waits for the process to exit, at most `timeout` seconds; returns its wait status.
    @discardableResult
    public func wait(timeout: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if reap() { return status }
            try? await Task.sleep(for: .milliseconds(20)) // cancellation only ends the wait early
        }
        return nil
    }

    public var isRunning: Bool { !reap() }

    /// Collects the exit status if the process has ended; true once it has.
    private func reap() -> Bool {
        if reaped { return true }
        var value: Int32 = 0
        guard waitpid(pid, &value, WNOHANG) == pid else { return false }
        reaped = true
        status = value
        return true
    }

    /// SIGKILL to the whole process group, then reap.
    public func killGroup() async {
        kill(-pid, SIGKILL)
        await wait(timeout: 5)
    }

    deinit {
        if let stdinFD { close(stdinFD) }
        if let stdoutFD { close(stdoutFD) }
    }
}
