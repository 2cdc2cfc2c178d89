import Foundation
import Glibc
import MCP
import Spool

/// Folders for policy tests, next to the test's spool: `work` (the write root, with a
/// `.git` that stays read-only) and `outside` (where no job may write).
struct PolicyFolders {
    let work: String
    let git: String
    let outside: String

    init(_ spool: TestSpool) throws {
        let base = URL(fileURLWithPath: spool.root).deletingLastPathComponent().resolvingSymlinksInPath().path
        work = base + "/work"
        git = work + "/.git"
        outside = base + "/outside"
        for folder in [work, git, outside] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try "ref: refs/heads/main\n".write(toFile: git + "/HEAD", atomically: false, encoding: .utf8)
        try "keep\n".write(toFile: outside + "/existing", atomically: false, encoding: .utf8)
    }

    /// `--write work --read-only work/.git --network off`.
    var flags: [String] { ["--write", work, "--read-only", git, "--network", "off"] }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: outside + "/" + name) }
}

/// spool-mcp with the given flags (and environment) and `workers` workers, for `body`.
func withPolicyMCP<T>(workers: Int = 1, _ flags: (PolicyFolders) -> [String], environment: [String: String] = [:],
                      _ body: (TestSpool, MCPHarness, PolicyFolders) async throws -> T) async throws -> T {
    try await withSpool { spool in
        let folders = try PolicyFolders(spool)
        let mcp = try await MCPHarness(spool: spool, workers: workers, extra: flags(folders), environment: environment)
        defer { Task { await mcp.close() } }
        return try await body(spool, mcp, folders)
    }
}

/// A TCP server on 127.0.0.1 that answers every connection with "HTTP/1.0 200 OK" and
/// `hello`, and counts UDP datagrams on the same port; on a thread of its own.
final class LoopbackServer: @unchecked Sendable {
    let port: Int
    private let tcp: Int32
    private let udp: Int32
    private let datagrams = NSLock()
    private var received = 0

    init() throws {
        let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.tcp = tcp
        self.udp = udp
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(tcp, $0, length) } }
        guard bound == 0, listen(tcp, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(tcp, $0, &length) } }
        let udpBound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(udp, $0, length) } }
        guard udpBound == 0 else { throw POSIXError(.EADDRINUSE) }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread {
            while true {
                let client = accept(tcp, nil, nil)
                if client < 0 { return } // closed
                var request = [UInt8](repeating: 0, count: 4096)
                _ = read(client, &request, request.count)
                let answer = Array("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello".utf8)
                _ = write(client, answer, answer.count)
                close(client)
            }
        }
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 512)
            while recv(udp, &buffer, buffer.count, 0) >= 0 {
                datagrams.lock()
                received += 1
                datagrams.unlock()
            }
        }
    }

    var datagramCount: Int {
        datagrams.lock()
        defer { datagrams.unlock() }
        return received
    }

    func stop() {
        shutdown(tcp, Int32(SHUT_RDWR))
        shutdown(udp, Int32(SHUT_RDWR))
        close(tcp)
        close(udp)
    }
}
