import Foundation
import ProcessHarness
import Spool
import Testing

/// A temporary spool for one test, plus the real binaries built next to the test bundle.
/// `cleanup()` kills everything the test started, including jobs' process groups found
/// in the spool, and removes the folder.
final class TestSpool: @unchecked Sendable {
    let root: String
    let layout: SpoolLayout
    private var children: [ChildProcess] = []
    /// A command prefix for every process started here (`ip netns exec NS`: another "host").
    var launcher: [String] = []

    private func spawn(_ binary: String, _ arguments: [String], environment: [String: String] = [:], pipeStdio: Bool = false,
                       stderrPath: String) throws -> ChildProcess {
        let (path, argv) = launcher.isEmpty ? (binary, arguments) : (launcher[0], Array(launcher.dropFirst()) + [binary] + arguments)
        let child = try ChildProcess(path, argv, environment: environment, pipeStdio: pipeStdio, stderrPath: stderrPath)
        children.append(child)
        return child
    }

    /// The binaries built next to the test bundle, or those in `SPOOL_TEST_BINARIES` (to run
    /// a suite against another build, for example the code before a change).
    static let binaries: String = {
        if let chosen = ProcessInfo.processInfo.environment["SPOOL_TEST_BINARIES"], !chosen.isEmpty { return chosen }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: me).deletingLastPathComponent()
        // XCTest on some setups runs from inside the .xctest bundle.
        if url.path.hasSuffix(".xctest") { url.deleteLastPathComponent() }
        return url.path
    }()

    static func binary(_ name: String) -> String { binaries + "/" + name }

    init() throws {
        var template = Array((NSTemporaryDirectory() + "spool-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        root = String(cString: made) + "/spool"
        layout = SpoolLayout(root: root)
        try layout.create()
    }

    /// A spool at a place the test chose (a small tmpfs, say).
    init(root: String) throws {
        self.root = root
        layout = SpoolLayout(root: root)
        try layout.create()
    }

    var logPath: String { root + "/../test.log" }

    /// Starts spool-mcp on stdio with `workers` workers.
    func startFrontend(workers: Int, extra: [String] = [], environment: [String: String] = [:]) throws -> ChildProcess {
        try spawn(Self.binary("spool-mcp"), ["--spool", root, "--workers", String(workers)] + extra,
                  environment: environment, pipeStdio: true, stderrPath: logPath)
    }

    private var httpStarts = 0

    /// Starts spool-mcp with `--http 127.0.0.1:0` and returns it with the port it chose.
    func startHTTP(workers: Int, extra: [String] = [], environment: [String: String] = [:]) async throws -> (ChildProcess, Int) {
        httpStarts += 1
        let log = root + "/../http-\(httpStarts).log"
        let child = try ChildProcess(Self.binary("spool-mcp"), ["--spool", root, "--workers", String(workers), "--http", "127.0.0.1:0"] + extra,
                                     environment: environment, stderrPath: log)
        children.append(child)
        var port: Int?
        _ = await eventually(timeout: 20) {
            port = Self.port(servedIn: read(log) ?? "")
            return port != nil || !child.isRunning
        }
        guard let port else { throw HTTPTestConnection.Failure(description: "spool-mcp did not start: \(read(log) ?? "")") }
        return (child, port)
    }

    /// The port a spool-mcp's log says it serves on 127.0.0.1 (it may have asked for :0).
    static func port(servedIn log: String) -> Int? {
        guard let range = log.range(of: "serving http://127.0.0.1:") else { return nil }
        return Int(log[range.upperBound...].prefix { $0.isNumber })
    }

    /// Starts an external spool-worker.
    func startWorker(id: String, slots: Int = 1, extra: [String] = [], environment: [String: String] = [:]) throws -> ChildProcess {
        try spawn(Self.binary("spool-worker"), ["--spool", root, "--id", id, "--slots", String(slots)] + extra,
                  environment: environment, stderrPath: logPath)
    }

    func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    func status(_ id: String) throws -> JobStatus? {
        guard let id = JobID(id) else { return nil }
        return try JobRecords(layout: layout).status(id)
    }

    func names(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// A test that fails or times out before `cleanup()` still leaves nothing running.
    deinit {
        for child in children where child.isRunning { kill(-child.pid, SIGKILL) }
        killProcessesNamingRoot()
    }

    func cleanup() async {
        for child in children { await child.killGroup() }
        reportCrashes()
        // Jobs run in their own sessions: stop any left over (pid = process group).
        for name in names(layout.jobs) {
            guard let id = JobID(name), let status = try? JobRecords(layout: layout).status(id) else { continue }
            if let pid = status.pid, status.state == .running { kill(-pid, SIGKILL) }
            // A terminal's session has groups of its own (an interactive shell's jobs).
            if let pid = status.pid, status.tty == true, status.state == .running {
                for name in names("/proc") {
                    if let member = Int32(name), ProcessProbe.stat(member)?.session == pid { kill(member, SIGKILL) }
                }
            }
            if let supervisor = status.supervisorPid, status.state == .running { kill(supervisor, SIGKILL) }
        }
        killProcessesNamingRoot()
        try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent)
    }

    /// A product process that crashed during the test fails it, with its log: a crash
    /// otherwise shows only as a confusing timeout, or as another test's server answering
    /// on the port the dead one freed.
    private func reportCrashes() {
        let folder = (root as NSString).deletingLastPathComponent
        for name in names(folder) where name.hasSuffix(".log") {
            guard let text = read(folder + "/" + name),
                  let mark = text.range(of: "Program crashed") ?? text.range(of: "Fatal error") else { continue }
            let start = text.index(mark.lowerBound, offsetBy: -1500, limitedBy: text.startIndex) ?? text.startIndex
            Issue.record("a process crashed (\(name)):\n\(text[start...].prefix(5000))")
        }
    }

    /// Supervisors and keepers of this spool's jobs (their arguments name the job folder),
    /// whatever state their records are in.
    private func killProcessesNamingRoot() {
        for name in names("/proc") {
            guard let pid = Int32(name), pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { continue }
            let line = String(decoding: data, as: UTF8.self)
            if line.contains(root + "/") || line.contains(root + "\u{0}") { kill(pid, SIGKILL) }
        }
    }
}
