import Foundation
import ProcessHarness

/// "Hosts" for the many-hosts tests: Linux network namespaces on one bridge, each joined
/// by a veth pair; the database listens on the bridge's address. Only these addresses
/// and loopback are used. Where namespaces cannot be made (no root, no iproute2), every
/// host is this machine's loopback with a spool of its own, and `isolated` says so.
final class TestHosts: @unchecked Sendable {
    struct Host: Sendable {
        let name: String
        let namespace: String?
        let hostSide: String?
        let address: String
    }

    let hosts: [String: Host]
    let bridge: String?
    let bridgeAddress: String
    var isolated: Bool { bridge != nil }

    private static let ip = "/usr/sbin/ip"

    init(_ names: [String]) async {
        let tag = String(getpid() % 100_000)
        let octet = Int(getpid() % 200) + 20
        let bridge = "spb\(tag)"
        var made: [String: Host] = [:]
        var ok = await Self.runAll([["link", "add", bridge, "type", "bridge"],
                                    ["addr", "add", "10.77.\(octet).1/24", "dev", bridge],
                                    ["link", "set", bridge, "up"]])
        for (index, name) in names.enumerated() where ok {
            let namespace = "spool-\(tag)-\(name)", hostSide = "spv\(tag)\(name)", inside = "spn\(tag)\(name)"
            let address = "10.77.\(octet).\(index + 2)"
            ok = await Self.runAll([["netns", "add", namespace],
                                    ["link", "add", hostSide, "type", "veth", "peer", "name", inside],
                                    ["link", "set", inside, "netns", namespace],
                                    ["link", "set", hostSide, "master", bridge, "up"],
                                    ["-n", namespace, "addr", "add", address + "/24", "dev", inside],
                                    ["-n", namespace, "link", "set", inside, "up"],
                                    ["-n", namespace, "link", "set", "lo", "up"]])
            made[name] = Host(name: name, namespace: namespace, hostSide: hostSide, address: address)
        }
        if ok {
            hosts = made
            self.bridge = bridge
            bridgeAddress = "10.77.\(octet).1"
        } else {
            for host in made.values { if let namespace = host.namespace { _ = await Self.run(["netns", "del", namespace]) } }
            _ = await Self.run(["link", "del", bridge])
            hosts = Dictionary(uniqueKeysWithValues: names.map { ($0, Host(name: $0, namespace: nil, hostSide: nil, address: "127.0.0.1")) })
            self.bridge = nil
            bridgeAddress = "127.0.0.1"
        }
    }

    /// The command prefix that runs a program on `host`.
    func launcher(_ host: String) -> [String] {
        guard let namespace = hosts[host]?.namespace else { return [] }
        return [Self.ip, "netns", "exec", namespace]
    }

    /// Cuts `host` off the network (its link goes down), or joins it again.
    func setLink(_ host: String, up: Bool) async {
        guard let side = hosts[host]?.hostSide else { return }
        _ = await Self.run(["link", "set", side, up ? "up" : "down"])
    }

    func teardown() async {
        for host in hosts.values {
            if let namespace = host.namespace { _ = await Self.run(["netns", "del", namespace]) }
            if let side = host.hostSide { _ = await Self.run(["link", "del", side]) }
        }
        if let bridge { _ = await Self.run(["link", "del", bridge]) }
    }

    private static func runAll(_ commands: [[String]]) async -> Bool {
        for command in commands where !(await run(command)) { return false }
        return true
    }

    @discardableResult
    private static func run(_ arguments: [String]) async -> Bool {
        guard FileManager.default.isExecutableFile(atPath: ip),
              let child = try? ChildProcess(ip, arguments) else { return false }
        return await child.wait(timeout: 20) == 0
    }
}
