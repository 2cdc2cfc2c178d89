import Foundation
import ProcessHarness
import Testing

/// The official Python MCP client (mcp 2.3.0, in a virtual environment made under
/// .build/) drives spool-mcp in each of its modes, on stdio and on HTTP.
@Suite("Python MCP client", .serialized, .timeLimit(.minutes(5)))
struct PythonClientTests {
    /// `.build/mcp-python`, made on first use (pip install mcp==2.3.0).
    static func python() async throws -> String {
        let build = URL(fileURLWithPath: TestSpool.binaries).deletingLastPathComponent().path
        let venv = build + "/mcp-python"
        let python = venv + "/bin/python"
        let marker = venv + "/.mcp-2.3.0"
        if FileManager.default.fileExists(atPath: marker) { return python }
        let script = "rm -rf '\(venv)' && python3 -m venv '\(venv)' && '\(venv)/bin/pip' install --quiet 'mcp==2.3.0' && touch '\(marker)'"
        let (status, output) = try await Self.shell(script, timeout: 240)
        guard status == 0 else {
            throw HTTPTestConnection.Failure(description: "could not make the Python client's virtual environment (pip install mcp==2.3.0): \(output.suffix(2000))")
        }
        return python
    }

    static func shell(_ script: String, timeout: Double) async throws -> (Int32, String) {
        let log = NSTemporaryDirectory() + "spool-python-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let child = try ChildProcess("/bin/sh", ["-c", script], stdoutPath: log, stderrPath: log)
        guard let status = await child.wait(timeout: timeout) else {
            await child.killGroup()
            return (-1, "timed out after \(timeout) s")
        }
        return (status, (FileManager.default.contents(atPath: log).map { String(decoding: $0, as: UTF8.self) }) ?? "")
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/drive.py").path

    func drive(_ mode: String, _ target: String, spool: TestSpool) async throws -> [String: Any] {
        let python = try await Self.python()
        let command = "'\(python)' '\(Self.script)' '\(mode)' '\(target)' '\(TestSpool.binary("spool-mcp"))' '\(spool.root)' 2>/dev/null"
        let (status, output) = try await Self.shell(command, timeout: 90)
        let line = output.split(separator: "\n").last.map(String.init) ?? ""
        let json = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        guard status == 0, let json else {
            throw HTTPTestConnection.Failure(description: "\(mode) on \(target): exit \(status): \(output.suffix(3000))")
        }
        return json
    }

    func check(_ seen: [String: Any], mode: String) {
        #expect(seen["version"] as? String == (mode == "legacy" ? "2025-11-25" : "2026-07-28"), "\(mode): \(seen)")
        #expect((seen["tools"] as? [String])?.count == 15)
        let run = seen["run"] as? [String: Any]
        #expect(run?["isError"] as? Bool == true && run?["state"] as? String == "failed" && run?["exitCode"] as? Int == 3 && run?["stdout"] as? String == "hello\n", "\(mode): \(String(describing: run))")
        #expect(seen["wait"] as? String == "succeeded")
        #expect(seen["output"] as? String == "bg\n")
        #expect(seen["cancel"] as? String == "cancelled")
        #expect(seen["resources"] as? Bool == true)
        #expect(seen["read"] as? String == "bg\n")
        let screen = seen["screen"] as? [String: Any]
        #expect(screen?["state"] as? String == "awaiting_input" && screen?["lines"] as? [String] == [">>> 1+1", "2", ">>>"],
                "\(mode): \(String(describing: screen))")
        #expect(seen["missing"] as? Int == (mode == "legacy" ? -32002 : -32602), "\(mode): \(String(describing: seen["missing"]))")
    }

    @Test("stdio: legacy, auto and 2026-07-28 each run, start, wait, output, cancel, drive a terminal and read resources", arguments: ["legacy", "auto", "2026-07-28"])
    func stdio(mode: String) async throws {
        try await withSpool { spool in
            check(try await drive(mode, "stdio", spool: spool), mode: mode)
            await spool.cleanup()
        }
    }

    @Test("HTTP: legacy, auto and 2026-07-28 each run, start, wait, output, cancel, drive a terminal and read resources", arguments: ["legacy", "auto", "2026-07-28"])
    func http(mode: String) async throws {
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 2)
            check(try await drive(mode, "http://127.0.0.1:\(port)/mcp", spool: spool), mode: mode)
            await spool.cleanup()
        }
    }
}
