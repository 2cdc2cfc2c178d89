import Foundation
import MCP
import Spool
import Testing

/// DESIGN.md, "Policy": the kernel confines what jobs and session commands may touch,
/// whatever shell trick they use; real spool-mcp, workers and supervisors.
@Suite("job policy", .serialized, .timeLimit(.minutes(3)))
struct PolicyTests {
    /// Ways a command might try to write `outside/<name>`, each its own job. Every one must
    /// fail in the kernel: the file does not exist afterwards.
    static func escapes(_ folders: PolicyFolders) -> [(name: String, command: String)] {
        let o = folders.outside
        let encoded = Data("echo x > \(o)/eval".utf8).base64EncodedString()
        return [
            ("plain", "echo x > \(o)/plain"),
            ("shc", "sh -c 'echo x > \(o)/shc'"),
            ("eval", "eval \"$(echo \(encoded) | base64 -d)\""),
            ("script", "printf '#!/bin/sh\\necho x > \(o)/script\\n' > script.sh && chmod +x script.sh && ./script.sh"),
            ("python", "python3 -c \"open('\(o)/python', 'w').write('x')\""),
            ("find", "touch marker && find . -name marker -exec sh -c 'echo x > \(o)/find' \\;"),
            ("hardlink", "touch data && ln data \(o)/hardlink"),
            ("symlink", "ln -sf \(o)/symlink sl && echo x > sl"),
            ("moved", "echo x > moving && mv moving \(o)/moved"),
            ("relative", "(cd \(o) && echo x > relative)"),
        ]
    }

    /// Runs every escape (in `session` when given) and checks that none got out, that a
    /// hard link into the work tree cannot reach an outside file, and that the write root,
    /// TMPDIR and the read-only `.git` behave.
    static func checkConfinement(_ mcp: MCPHarness, _ spool: TestSpool, _ folders: PolicyFolders, session: String?) async throws {
        func run(_ command: String) async throws -> CallTool.Result {
            var arguments: [String: Value] = ["command": .string(command), "wait": 30]
            if let session { arguments["session"] = .string(session) } else { arguments["cwd"] = .string(folders.work) }
            return try await mcp.call("run", arguments)
        }
        for (name, command) in escapes(folders) {
            let result = try await run(command)
            // find's own status ignores what -exec'd commands return; the write failed all the same.
            if name != "find" { #expect(result["state"] == "failed", "\(name): \(result.text)") }
            let stderr = result["stderr"]?.stringValue ?? ""
            #expect(stderr.contains("Permission denied") || stderr.contains("Invalid cross-device link"), "\(name): \(stderr)")
            #expect(!folders.exists(name), "\(name) got out: \(result.text)")
            if name != "find" { #expect(result.text.contains("it ran under the job policy"), "\(name): the failure names the policy") }
        }
        // A hard link from the work tree to an outside file would let later writes reach it.
        let link = try await run("ln \(folders.outside)/existing linked && echo more >> linked")
        #expect(link["state"] == "failed")
        #expect(spool.read(folders.outside + "/existing") == "keep\n")
        #expect(!FileManager.default.fileExists(atPath: folders.work + "/linked"))

        let inside = try await run("echo ok > inside.txt && cat inside.txt && echo t > \"$TMPDIR/t\" && cat \"$TMPDIR/t\" && echo \"$TMPDIR\"")
        #expect(inside["state"] == "succeeded", "\(inside.text)")
        let lines = (inside["stdout"]?.stringValue ?? "").split(separator: "\n").map(String.init)
        #expect(lines.prefix(2) == ["ok", "t"])
        let tmpdir = try #require(lines.last)
        #expect(tmpdir.hasPrefix(spool.root), "a private TMPDIR in the spool: \(tmpdir)")
        if session == nil {
            #expect(try await eventually { !FileManager.default.fileExists(atPath: tmpdir) }, "TMPDIR goes with the job")
        }

        let head = spool.read(folders.git + "/HEAD")
        let git = try await run("echo evil > .git/HEAD; rm -f .git/HEAD; touch .git/new; mv .git moved-git; rm -rf .git")
        #expect(git["state"] == "failed", "\(git.text)")
        #expect(spool.read(folders.git + "/HEAD") == head)
        #expect(!FileManager.default.fileExists(atPath: folders.git + "/new"))
        #expect(!FileManager.default.fileExists(atPath: folders.work + "/moved-git"))
    }

    @Test("--write and --read-only: no shell trick writes outside the write root, for jobs and session commands")
    func writeConfinement() async throws {
        // Two workers: an open session holds one.
        try await withPolicyMCP(workers: 2, { $0.flags }) { spool, mcp, folders in
            try await Self.checkConfinement(mcp, spool, folders, session: nil)
            let opened = try await mcp.call("session_start", ["cwd": .string(folders.work)])
            let session = try #require(opened["session"]?.stringValue)
            #expect(try await eventually(timeout: 20) { try SessionStore(layout: spool.layout).record(SessionID(session)!)?.state == .ready })
            try await Self.checkConfinement(mcp, spool, folders, session: session)
            // Every job's record names the policy it ran under.
            let listed = try await mcp.call("run", ["command": "true", "cwd": .string(folders.work)])
            let id = try #require(listed["job"]?.stringValue)
            let record = try spool.status(id)
            let policy = try #require(record?.policy, "\(String(describing: record))")
            #expect(policy.write == [folders.work] && policy.readOnly == [folders.git] && policy.network == .off)
        }
    }

    @Test("--network off: no TCP or UDP to a server on 127.0.0.1; with the network on, both work")
    func networkOff() async throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/"
        let curl = "curl -sS -m 5 \(url)"
        let python = "python3 -c \"import urllib.request; print(urllib.request.urlopen('\(url)', timeout=5).read().decode())\""
        let udp = "python3 -c \"import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'x', ('127.0.0.1', \(server.port)))\""
        try await withPolicyMCP({ $0.flags }) { spool, mcp, folders in
            for command in [curl, python, udp] {
                let result = try await mcp.call("run", ["command": .string(command), "cwd": .string(folders.work)])
                #expect(result["state"] == "failed", "\(command): \(result.text)")
                #expect(result["stdout"]?.stringValue?.contains("hello") != true)
            }
            let opened = try await mcp.call("session_start", ["cwd": .string(folders.work)])
            let session = try #require(opened["session"]?.stringValue)
            let inSession = try await mcp.call("run", ["command": .string(curl), "session": .string(session), "wait": 30])
            #expect(inSession["state"] == "failed", "\(inSession.text)")
            #expect(server.datagramCount == 0)
        }
        try await withMCP(workers: 1) { _, mcp in
            let result = try await mcp.call("run", ["command": .string(curl)])
            #expect(result["stdout"] == "hello", "\(result.text)")
            let fromPython = try await mcp.call("run", ["command": .string(python)])
            #expect(fromPython["stdout"] == "hello\n", "\(fromPython.text)")
            let sent = try await mcp.call("run", ["command": .string(udp)])
            #expect(sent["state"] == "succeeded", "\(sent.text)")
            #expect(try await eventually { server.datagramCount >= 1 })
        }
    }

    @Test("limits: a fork bomb and an allocation end with the limit they hit, a big file stops at its limit, and the worker serves the next job")
    func limits() async throws {
        let flags = { (folders: PolicyFolders) in
            ["--write", folders.work, "--job-processes", "50", "--job-memory", String(64 << 20), "--job-file-size", "100000"]
        }
        try await withPolicyMCP(flags) { spool, mcp, folders in
            let bomb = try await mcp.call("run", ["command": "bomb() { bomb | bomb & }; bomb; sleep 60", "timeout": 40, "wait": 60])
            #expect(bomb["state"] == "failed", "\(bomb.text)")
            #expect(bomb.text.contains("processes limit"), "\(bomb.text)")
            let bombID = try #require(bomb["job"]?.stringValue)
            #expect(try await eventually { Self.cgroupFolders(containing: bombID).isEmpty }, "the job's cgroup is removed with whatever was left of it")

            let memory = try await mcp.call("run", ["command": "python3 -c \"b = bytearray(256 << 20); print(len(b))\"", "wait": 60])
            #expect(memory["state"] == "failed", "\(memory.text)")
            #expect(memory.text.contains("memory limit"), "\(memory.text)")

            let big = try await mcp.call("run", ["command": "head -c 200000 /dev/zero > big", "cwd": .string(folders.work)])
            #expect(big["state"] == "failed", "\(big.text)")
            #expect(big.text.contains("file-size limit"), "\(big.text)")
            #expect(FileSystem.size(folders.work + "/big") == 100000)

            let next = try await mcp.call("run", ["command": "echo next"])
            #expect(next["stdout"] == "next\n", "\(next.text)")
        }
    }

    @Test("a keeper watching a job's processes limit waits; it does not spin on the cgroup's events file")
    func keeperWaitsUnderLimits() async throws {
        try await withPolicyMCP({ _ in ["--job-processes", "50"] }) { spool, mcp, folders in
            let marker = folders.work + "/two-seconds"
            let started = try await mcp.call("start", ["command": .string("sleep 2; touch \(marker); sleep 5")])
            let id = try #require(started["job"]?.stringValue)
            #expect(try await eventually { try spool.status(id)?.keeperPid != nil })
            let keeper = try #require(try spool.status(id)?.keeperPid)
            // The marker proves two seconds of the job have passed under the keeper's watch.
            #expect(try await eventually(timeout: 20) { FileManager.default.fileExists(atPath: marker) })
            let fields = (spool.read("/proc/\(keeper)/stat") ?? "").split(separator: ")").last?.split(separator: " ") ?? []
            let ticks = fields.count > 12 ? (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) : -1
            #expect(ticks >= 0 && ticks < 30, "the keeper used \(ticks) clock ticks of CPU in two seconds")
            _ = try await mcp.call("cancel", ["job": .string(id)])
        }
    }

    @Test("session commands run under the same limits: one cgroup per session shell, removed when the session ends")
    func sessionLimits() async throws {
        try await withPolicyMCP({ ["--write", $0.work, "--job-processes", "30"] }) { spool, mcp, folders in
            let opened = try await mcp.call("session_start", ["cwd": .string(folders.work)])
            let session = try #require(opened["session"]?.stringValue)
            let forks = try await mcp.call("run", ["command": "for i in $(seq 1 60); do sleep 3 & done; wait", "session": .string(session), "wait": 30])
            let stderr = forks["stderr"]?.stringValue ?? ""
            #expect(stderr.contains("Cannot fork") || stderr.contains("Resource temporarily unavailable"), "\(forks.text)")
            // bash exits when a fork fails for good (under load its retries can be cut short
            // by a SIGCHLD), and the session restarts its shell, in a new cgroup of the
            // same name: wait for it rather than look once in the gap.
            #expect(try await eventually(timeout: 20) { !Self.cgroupFolders(containing: session).isEmpty },
                    "the session's shell lives in a cgroup of its own: \(forks.text)")
            _ = try await mcp.call("session_end", ["session": .string(session)])
            #expect(try await eventually(timeout: 20) { Self.cgroupFolders(containing: session).isEmpty },
                    "the cgroup, and the sleeps left in it, go when the session ends")
        }
    }

    /// The job cgroup folders (v1 pids and memory hierarchies, or v2) named for `job`.
    static func cgroupFolders(containing job: String) -> [String] {
        let roots = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup"]
        var found: [String] = []
        for root in roots {
            guard let walker = FileManager.default.enumerator(atPath: root) else { continue }
            while let path = walker.nextObject() as? String {
                if walker.level > 4 { walker.skipDescendants(); continue }
                if (path as NSString).lastPathComponent.hasPrefix("spool-\(job)-") { found.append(root + "/" + path) }
            }
        }
        return found
    }

    @Test("a job inherits no descriptor but 0-2, with a policy and without")
    func descriptors() async throws {
        let listing = "ls /proc/$$/fd" // the shell's own descriptors, listed by another process
        try await withPolicyMCP({ $0.flags }) { _, mcp, folders in
            let result = try await mcp.call("run", ["command": .string(listing), "cwd": .string(folders.work)])
            #expect(result["stdout"] == "0\n1\n2\n", "\(result.text)")
        }
        try await withMCP(workers: 1) { _, mcp in
            let result = try await mcp.call("run", ["command": .string(listing)])
            #expect(result["stdout"] == "0\n1\n2\n", "\(result.text)")
        }
    }

    @Test("--policy-required refuses to start when a part cannot be enforced; without it, Spool says what is not enforced")
    func policyRequired() async throws {
        try await withSpool { spool in
            let folders = try PolicyFolders(spool)
            // SPOOL_TEST_UNENFORCEABLE (tests only) makes the probe report Landlock missing.
            let refused = try spool.startFrontend(workers: 1, extra: ["--write", folders.work, "--policy-required"],
                                                  environment: ["SPOOL_TEST_UNENFORCEABLE": "landlock"])
            let status = try #require(await refused.wait(timeout: 30), "spool-mcp must exit")
            #expect(status != 0)
            let log = spool.read(spool.logPath) ?? ""
            #expect(log.contains("--policy-required") && log.contains("write: this kernel has no Landlock"), "\(log)")
            #expect(spool.names(spool.layout.workers).isEmpty, "no worker was started")

            let worker = try spool.startWorker(id: "w1", extra: ["--network", "off", "--policy-required"],
                                               environment: ["SPOOL_TEST_UNENFORCEABLE": "seccomp,network"])
            let workerStatus = try #require(await worker.wait(timeout: 30), "spool-worker must exit")
            #expect(workerStatus != 0)
        }
        try await withSpool { spool in
            let folders = try PolicyFolders(spool)
            let mcp = try await MCPHarness(spool: spool, workers: 1, extra: ["--write", folders.work],
                                           environment: ["SPOOL_TEST_UNENFORCEABLE": "landlock"])
            defer { Task { await mcp.close() } }
            let stats = try await mcp.call("stats")
            #expect(stats.text.contains("NOT enforced here: write: this kernel has no Landlock"), "\(stats.text)")
            guard case .object(let report)? = stats["policy"], case .object(let policy)? = report["policy"],
                  case .array(let notEnforced)? = policy["notEnforced"] else {
                Issue.record("stats has no policy.policy.notEnforced: \(stats.text)")
                return
            }
            #expect(notEnforced.count == 1)
            // A job says so too, in its record.
            let job = try await mcp.call("run", ["command": "true"])
            let id = try #require(job["job"]?.stringValue)
            #expect(try spool.status(id)?.policy?.notEnforced?.first?.hasPrefix("write:") == true)
        }
    }

    @Test("/health and the server instructions say what the kernel enforces")
    func healthAndInstructions() async throws {
        try await withSpool { spool in
            let folders = try PolicyFolders(spool)
            let (_, port) = try await spool.startHTTP(workers: 1, extra: folders.flags)
            #expect(try await eventually(timeout: 20) { SpoolCensus.take(spool.layout).workers == 1 })
            let health = try await httpRequest(port: port, "GET", "/health")
            #expect(health.body.contains("Landlock ABI"), "\(health.body)")
            #expect(health.body.contains("\"network\":\"off\""), "\(health.body)")
            let peer = ModernHTTPPeer(port: port)
            let discovered = try await peer.post(1, "server/discover", modernParams())
            let instructions = (result(discovered.answer)?["instructions"] as? String) ?? ""
            #expect(instructions.contains("Job policy: writes only in \(folders.work)"), "\(instructions)")
            #expect(instructions.contains("The kernel enforces: write (Landlock ABI"), "\(instructions)")
        }
    }

    @Test("spool-supervisor's Landlock rule set: every right of the ABI, and only file rights on files")
    func landlockRules() async throws {
        let output = try await Self.supervisorProbe(["--write", "/tmp"])
        let data = try #require(output.data(using: .utf8))
        let probe = try JSONDecoder().decode(PolicyEnforcement.self, from: data)
        #expect(probe.landlockABI >= 1, "this machine kind has Landlock")
        let rights = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["landlockWriteRights"] as? Int)
        // write_file, remove_dir, remove_file, make_char/dir/reg/sock/fifo/block/sym (ABI 1)
        var expected = 0b1_1111_1111_0010
        if probe.landlockABI >= 2 { expected |= 1 << 13 } // refer
        if probe.landlockABI >= 3 { expected |= 1 << 14 } // truncate
        if probe.landlockABI >= 5 { expected |= 1 << 15 } // ioctl on devices
        #expect(rights == expected, "rights \(String(rights, radix: 2)) for ABI \(probe.landlockABI)")
        #expect(rights & (1 << 0) == 0 && rights & (1 << 2) == 0 && rights & (1 << 3) == 0, "execute and reads stay free")
    }

    static func supervisorProbe(_ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSpool.binary("spool-supervisor"))
        process.arguments = ["probe"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
