import Foundation
import Glibc
import MCP
import Spool
import Testing

/// Retired jobs' inodes reused by new jobs (`SpareInodes`), through real processes.
@Suite("Spare inodes through spool-mcp", .timeLimit(.minutes(2)))
struct SpareInodesEndToEndTests {
    @Test("jobs retired by retention leave their inodes in tmp/spare/; a new run takes them and shows only its own output and record")
    func reused() async throws {
        try await withSpool { spool in
            for result in try await spool.retireIntoSpares((0..<3).map { "echo old output \($0); echo old error >&2; exit 3" }) {
                #expect(result["exitCode"] == 3)
            }
            // Retention keeps the new job for days: it stays to be read.
            let mcp = try await MCPHarness(spool: spool, workers: 1)
            defer { Task { await mcp.close() } }
            var spareInodes: Set<UInt64> = []
            for name in FileSystem.list(spool.layout.spare) {
                var info = stat()
                if stat(spool.layout.spare + "/" + name, &info) == 0 { spareInodes.insert(UInt64(info.st_ino)) }
            }
            let result = try await mcp.call("run", ["command": "echo new"])
            let id = try #require(JobID(result["job"]?.stringValue ?? ""))
            #expect(result["stdout"] == "new\n" && result["stderr"] == "" && result["exitCode"] == 0)
            #expect(spool.read(spool.layout.job(id, .stdout)) == "new\n" && spool.read(spool.layout.job(id, .stderr)) == "")
            let status = try #require(try spool.status(id.rawValue))
            #expect(status.state == .succeeded && status.exitCode == 0)
            #expect(try JobRequest.load(path: spool.layout.done(id), defaults: RequestDefaults(job: id, priority: .sync)).command == "echo new")
            var folder = stat()
            #expect(stat(spool.layout.job(id), &folder) == 0 && spareInodes.contains(UInt64(folder.st_ino)), "the job folder is not a spare")
        }
    }
}
