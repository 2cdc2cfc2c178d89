import Foundation
import MCP
import ProcessHarness
import Spool

/// Hosts A (agents submit), B and C (workers), each with its own spool, joined through a
/// private PostgreSQL cluster on the hosts' bridge. Everything it started is stopped by
/// `teardown()`: processes, the cluster, and the namespaces.
final class RelayWorld: @unchecked Sendable {
    let hosts: TestHosts
    let cluster: PostgresCluster
    let spools: [String: TestSpool]
    let lease: Double
    private var workers: [String: ChildProcess] = [:]

    init(hostNames: [String] = ["a", "b", "c"], lease: Double = 5) async throws {
        hosts = await TestHosts(hostNames)
        do {
            cluster = try await PostgresCluster(addresses: hosts.isolated ? ["127.0.0.1", hosts.bridgeAddress] : ["127.0.0.1"])
        } catch {
            await hosts.teardown()
            throw error
        }
        var spools: [String: TestSpool] = [:]
        for name in hostNames {
            let spool = try TestSpool()
            spool.launcher = hosts.launcher(name)
            spools[name] = spool
        }
        self.spools = spools
        self.lease = lease
    }

    var url: String { cluster.url(host: hosts.bridgeAddress) }

    func relayFlags(_ host: String) -> [String] {
        ["--postgres", url, "--host", host, "--lease", String(lease), "--relay-poll", "0.5"]
    }

    /// spool-mcp on `host` with no local workers: every job goes through PostgreSQL.
    func frontend(on host: String = "a") async throws -> MCPHarness {
        try await MCPHarness(spool: spools[host]!, workers: 0, extra: relayFlags(host))
    }

    /// `spool-worker --postgres` on a worker host: it runs jobs claimed from PostgreSQL.
    @discardableResult
    func startWorkerHost(_ host: String, slots: Int) throws -> ChildProcess {
        let child = try spools[host]!.startWorker(id: "\(host)-worker", slots: slots, extra: relayFlags(host))
        workers[host] = child
        return child
    }

    func worker(_ host: String) -> ChildProcess? { workers[host] }

    /// Pids of the spool-relay processes working on `host`'s spool.
    func relayPids(_ host: String) -> [pid_t] {
        let root = spools[host]!.root
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name -> pid_t? in
            guard let pid = pid_t(name), let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
            let arguments = String(decoding: data, as: UTF8.self).split(separator: "\u{0}").map(String.init)
            guard arguments.first?.hasSuffix("/spool-relay") == true, arguments.contains(root) else { return nil }
            return pid
        }
    }

    func printLogs() {
        for (name, spool) in spools.sorted(by: { $0.key < $1.key }) {
            print("--- host \(name) log:\n\(spool.read(spool.logPath)?.suffix(6000) ?? "")")
        }
    }

    func teardown() async {
        for spool in spools.values { await spool.cleanup() }
        await cluster.stop()
        await hosts.teardown()
    }
}

/// Runs `body` in a fresh world, and tears it down whatever happens.
func withRelayWorld<T>(lease: Double = 5, _ body: (RelayWorld) async throws -> T) async throws -> T {
    let world = try await RelayWorld(lease: lease)
    do {
        let result = try await body(world)
        await world.teardown()
        return result
    } catch {
        world.printLogs()
        await world.teardown()
        throw error
    }
}
