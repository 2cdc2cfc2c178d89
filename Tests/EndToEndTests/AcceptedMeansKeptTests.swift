import Foundation
import MCP
import Spool
import Testing

/// A job id is handed out only for a request a worker can run, and a copy of a request
/// that already has a record never runs again.
@Suite("accepted means kept", .timeLimit(.minutes(2)))
struct AcceptedMeansKeptTests {
    @Test("a request larger than a spool request may be is refused before any job id is handed out")
    func oversizedRequests() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let big = String(repeating: "x", count: 8 << 20)
            let start = try await mcp.call("start", ["command": "cat", "stdin": .string(big)])
            #expect(start.isError == true)
            #expect(start.text.contains("2048 KiB") && start.text.contains("file"), "\(start.text.prefix(300))")
            #expect(start["job"] == nil)
            let run = try await mcp.call("run", ["command": "true", "env": ["BIG": .string(String(repeating: "y", count: 3 << 20))]])
            #expect(run.isError == true)
            #expect(run.text.contains("2048 KiB"))
            for priority in Priority.allCases {
                #expect(FileSystem.list(spool.layout.queue(priority)).isEmpty, "a request was written anyway")
            }
            // Just below the limit still runs, and the worker reads it whole.
            let fits = try await mcp.call("run", ["command": "wc -c", "stdin": .string(String(repeating: "z", count: 1_900_000))])
            #expect(fits.isError == false, "\(fits.text.prefix(300))")
            #expect(fits["stdout"]?.stringValue?.contains("1900000") == true)
            #expect(FileSystem.list(spool.layout.bad).isEmpty)
        }
    }

    @Test("a finished job's request copied back into the queue goes to bad/ as a duplicate; the original record stays")
    func duplicateRequest() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let first = try await mcp.call("run", ["command": "echo first"])
            let id = try #require(JobID(first["job"]?.stringValue ?? ""))
            let statusBefore = try #require(spool.read(spool.layout.job(id, .status)))
            let copy = try #require(FileManager.default.contents(atPath: spool.layout.done(id)))
            try copy.write(to: URL(fileURLWithPath: spool.layout.tmp + "/copy"))
            #expect(rename(spool.layout.tmp + "/copy", spool.layout.queued(id, .async)) == 0)
            let reasonPath = spool.layout.bad + "/" + id.fileName + ".reason"
            #expect(await eventually(timeout: 10) { FileManager.default.fileExists(atPath: reasonPath) })
            #expect(spool.read(reasonPath)?.contains("duplicate of job \(id)") == true, "\(spool.read(reasonPath) ?? "")")
            #expect(spool.read(spool.layout.job(id, .status)) == statusBefore, "the original status.json changed")
            #expect(spool.read(spool.layout.job(id, .stdout)) == "first\n")
            let status = try await mcp.call("status", ["job": .string(id.rawValue)])
            #expect(status["state"] == "succeeded")
        }
    }

    @Test("a 50 MB request file dropped into the queue is quarantined as too large, not as bad JSON")
    func hugeRequestFile() async throws {
        try await withMCP(workers: 1) { spool, _ in
            let id = JobID.make()
            let padding = String(repeating: "p", count: 50 << 20)
            let text = #"{"command":"true","cwd":"/tmp","pad":""# + padding + #""}"#
            try Data(text.utf8).write(to: URL(fileURLWithPath: spool.layout.tmp + "/huge"))
            #expect(rename(spool.layout.tmp + "/huge", spool.layout.queued(id, .async)) == 0)
            let reasonPath = spool.layout.bad + "/" + id.fileName + ".reason"
            #expect(await eventually(timeout: 10) { FileManager.default.fileExists(atPath: reasonPath) })
            let reason = spool.read(reasonPath) ?? ""
            #expect(reason.contains("too large"), "\(reason)")
            #expect(!reason.contains("not valid JSON"))
        }
    }
}
