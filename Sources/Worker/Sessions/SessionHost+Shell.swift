import Foundation
import Spool
import Subprocess
import SystemPackage

/// Running one shell of the session.
extension SessionHost {
    /// Starts a shell, restores the saved state, and drives the machine until the shell
    /// exits. Nil when no shell could be started (the session is then closed).
    func runShell(lock: FileLock, watcher: SpoolWatcher) async -> SessionMachine<ContinuousClock>.ShellExit? {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0, fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0 else {
            await carryOut(machine.failed("cannot create a pipe: \(String(cString: strerror(errno)))"), watcher: watcher)
            return nil
        }
        let control = fds[1]
        defer { close(control) }
        let shellPath = request.shell ?? JobRequest.bashOrSh
        let script = SessionShellScript(layout: layout, session: id, isBash: shellPath.hasSuffix("/bash"))
        // First start: the worker's environment plus the session's. Restarts: exactly the
        // exported variables the session had (`env.sh`), so unset ones stay unset.
        let restoring = FileSystem.exists(layout.session(id, .env))
        var extra: [Environment.Key: String?] = ["SPOOL_SESSION": id.rawValue]
        for (key, value) in request.env ?? [:] {
            if let key = Environment.Key(rawValue: key) { extra[key] = value }
        }
        // Under a policy the shell starts through `spool-supervisor confine`, which applies
        // it and execs the shell: every command of the session inherits it.
        var executable = shellPath
        var arguments = script.isBash ? ["--noprofile", "--norc"] : []
        var confined: [Environment.Key: String] = [:]
        if confinement.policy.isSet {
            // The shell itself opens each command's output files and writes the session's
            // state, so it may also write in jobs/ and its session folder (README).
            var policy = confinement.policy
            policy.write += policy.write.isEmpty ? [] : [Confinement.absolute(layout.jobs), Confinement.absolute(layout.session(id))]
            arguments = ["confine", "--cgroup", cgroupName] + policy.supervisorArguments + ["--", shellPath] + arguments
            executable = confinement.supervisor
            if !confinement.policy.write.isEmpty {
                let tmp = layout.session(id, .tmp)
                _ = mkdir(tmp, 0o700)
                confined["SPOOL_PRIVATE_TMPDIR"] = tmp
            }
        }
        let environment: Environment = restoring
            ? .custom(confined)
            : Environment.inherit.updating(extra.merging(confined.mapValues { $0 }) { $1 })
        var options = PlatformOptions()
        options.createSession = true
        let startDirectory = request.cwd.flatMap { FileSystem.isDirectory($0) ? $0 : nil } ?? "/"
        let events = watcher.events()
        do {
            let result = try await Subprocess.run(
                .path(FilePath(executable)),
                arguments: Arguments(arguments),
                environment: environment,
                workingDirectory: FilePath(startDirectory),
                platformOptions: options,
                input: .fileDescriptor(FileDescriptor(rawValue: fds[0]), closeAfterSpawningProcess: true),
                output: .sequence,
                error: .fileDescriptor(FileDescriptor(rawValue: lock.descriptor), closeAfterSpawningProcess: false)
            ) { execution in
                let pid = execution.processIdentifier.value
                let (stream, continuation) = AsyncStream<HostEvent>.makeStream()
                self.setShell(ShellHandle(pid: pid, control: control, script: script), wake: continuation)
                let forward = Task {
                    for await event in events { continuation.yield(.file(event)) }
                }
                let death = Task {
                    // The shell never writes to its stdout (commands are redirected), so
                    // end of file here means the shell has exited.
                    do { for try await _ in execution.standardOutput {} } catch {}
                    continuation.yield(.shellEnded)
                }
                defer {
                    forward.cancel()
                    death.cancel()
                }
                self.update { $0.pid = pid }
                var iterator = stream.makeAsyncIterator()
                guard Self.send(script.prelude(restoring: restoring), to: control) else { return }
                await self.drive(events: &iterator, watcher: watcher)
            }
            setShell(nil, wake: nil)
            await removeCgroup()
            switch result.terminationStatus {
            case .exited(let code): return .exited(code)
            case .signaled(let signal): return .signalled(signal)
            }
        } catch {
            setShell(nil, wake: nil)
            logger.error("session \(id): cannot run \(shellPath): \(error)")
            await carryOut(machine.failed("cannot run its shell \(shellPath): \(error)"), watcher: watcher)
            return nil
        }
    }

    /// The cgroup that holds the session's shell and commands under `--job-memory` or
    /// `--job-processes` (one per shell life).
    var cgroupName: String { "spool-\(id.rawValue)-\(getpid())" }

    /// Removes the shell's cgroup, and whatever of the session is left in it, once the
    /// shell has ended.
    func removeCgroup() async {
        let policy = confinement.policy
        guard policy.memory != nil || policy.processes != nil else { return }
        do {
            _ = try await Subprocess.run(.path(FilePath(confinement.supervisor)),
                                         arguments: Arguments(["cgroup-remove", cgroupName] + policy.supervisorArguments),
                                         output: .discarded, error: .discarded)
        } catch {
            logger.warning("session \(id): cannot remove its cgroup \(cgroupName): \(error)")
        }
    }

    /// The next event, or a `.deadline` after `seconds`: the timer feeds the same stream
    /// as file events, so one await sees whichever comes first. A stale `.deadline` from
    /// an earlier wait is harmless: the machine re-checks its state after each event.
    func nextEvent(_ events: inout AsyncStream<HostEvent>.Iterator, within seconds: Double) async -> HostEvent? {
        let wake = self.wake
        let timer = Task {
            try await Task.sleep(for: .seconds(min(max(seconds, 0.001), 86400)))
            wake?.yield(.deadline)
        }
        defer { timer.cancel() }
        return await events.next(isolation: self)
    }

    private func setShell(_ shell: ShellHandle?, wake: AsyncStream<HostEvent>.Continuation?) {
        self.shell = shell
        self.wake = wake
    }

    /// Writes all of `text` to the shell's stdin; false when the shell is gone (its death
    /// event then ends the command, so the error itself carries nothing more).
    static func send(_ text: String, to fd: Int32) -> Bool {
        (try? FileSystem.write(fd: fd, Array(text.utf8), path: "session shell stdin")) != nil
    }
}
