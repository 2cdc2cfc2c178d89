import Foundation
import ProcessHarness

/// A private PostgreSQL cluster for one test or benchmark run: `initdb` in a temporary folder, the server
/// as a child process (as the `postgres` user when the tests run as root, through
/// `setpriv`, which execs, so signals reach the postmaster itself). `stop()` ends it and
/// removes the folder. fsync is off: the tests kill processes, not machines.
public final class PostgresCluster: @unchecked Sendable {
    public let directory: String
    public let port: Int
    public let addresses: [String]
    public private(set) var server: ChildProcess?
    private var starts = 0

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The newest installed PostgreSQL's programs (Debian keeps them off PATH).
    public static let binaries: String? = {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        if let newest = versions.last { return "\(root)/\(newest)/bin" }
        for folder in ["/usr/local/bin", "/usr/bin"] where FileManager.default.isExecutableFile(atPath: folder + "/initdb") { return folder }
        return nil
    }()

    public static var isAvailable: Bool { binaries != nil }
    private static var asRoot: Bool { getuid() == 0 }

    private static func command(_ program: String, _ arguments: [String]) -> (String, [String]) {
        let path = (binaries ?? "/usr/bin") + "/" + program
        return asRoot ? ("/usr/bin/setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", path] + arguments)
            : (path, arguments)
    }

    public init(addresses: [String] = ["127.0.0.1"]) async throws {
        guard Self.isAvailable else { throw Failure(description: "PostgreSQL is not installed: run scripts/ensure-dependencies") }
        var template = Array((NSTemporaryDirectory() + "spool-pg-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: made)
        self.addresses = addresses
        port = Self.freePort()
        if Self.asRoot {
            guard let user = getpwnam("postgres") else { throw Failure(description: "no postgres user to run the server as") }
            chown(directory, user.pointee.pw_uid, user.pointee.pw_gid)
        }
        let (program, arguments) = Self.command("initdb", ["-D", directory + "/data", "--auth=trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
        let initdb = try ChildProcess(program, arguments, stderrPath: directory + "/initdb.log")
        guard await initdb.wait(timeout: 60) == 0 else {
            throw Failure(description: "initdb failed: \(read(directory + "/initdb.log"))")
        }
        // The hosts' bridge is a private subnet of this test: trust it as initdb trusts loopback.
        let hba = directory + "/data/pg_hba.conf"
        let lines = (FileManager.default.contents(atPath: hba).map { String(decoding: $0, as: UTF8.self) } ?? "")
            + addresses.filter { $0 != "127.0.0.1" }.map { "host all all \($0)/24 trust\n" }.joined()
        FileManager.default.createFile(atPath: hba, contents: Data(lines.utf8))
        try await start()
    }

    public var url: String { url(host: addresses.last ?? "127.0.0.1") }
    public func url(host: String) -> String { "postgres://postgres@\(host):\(port)/postgres" }
    public var log: String { read(directory + "/server-\(starts).log") }

    public func start() async throws {
        starts += 1
        let (program, arguments) = Self.command("postgres", [
            "-D", directory + "/data", "-k", directory, "-p", String(port),
            "-c", "listen_addresses=\(addresses.joined(separator: ","))", "-c", "fsync=off", "-c", "max_connections=200",
            "-c", "shared_buffers=32MB",
        ])
        server = try ChildProcess(program, arguments, stderrPath: directory + "/server-\(starts).log")
        let deadline = Date().addingTimeInterval(30)
        var ready = false
        while Date() < deadline {
            ready = log.contains("ready to accept connections")
            if ready || server?.isRunning == false { break }
            try? await Task.sleep(for: .milliseconds(25))
        }
        guard ready, server?.isRunning == true else { throw Failure(description: "postgres did not start: \(log)") }
    }

    /// Immediate shutdown (SIGQUIT: no checkpoint, as after a crash), then a new start.
    public func restartImmediately() async throws {
        server?.signal(SIGQUIT)
        _ = await server?.wait(timeout: 30)
        try await start()
    }

    /// Runs SQL through psql; the output is unaligned, `|`-separated, without headers.
    public func psql(_ sql: String) async throws -> String {
        let out = directory + "/psql-\(UUID().uuidString).out"
        let psql = (Self.binaries ?? "/usr/bin") + "/psql"
        let child = try ChildProcess(psql, ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres",
                                            "-d", "postgres", "-c", sql], stdoutPath: out, stderrPath: out + ".err")
        let status = await child.wait(timeout: 30)
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + ".err") }
        guard status == 0 else { throw Failure(description: "psql failed (\(String(describing: status))): \(read(out + ".err"))") }
        return read(out).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func stop() async {
        if let server, server.isRunning {
            server.signal(SIGINT)
            if await server.wait(timeout: 20) == nil { server.signal(SIGQUIT); _ = await server.wait(timeout: 10) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit {
        if let server, server.isRunning { kill(server.pid, SIGQUIT) }
    }

    private func read(_ path: String) -> String {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    private static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
