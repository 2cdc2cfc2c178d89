import Foundation
import MCP
import Spool
import Testing

@Suite("bad input", .timeLimit(.minutes(2)))
struct BadInputTests {
    @Test("wrong arguments and ids are tool errors an agent can act on; the server goes on")
    func toolErrors() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let cases: [(String, [String: Value], String)] = [
                ("run", ["command": 5], "must be a string"),
                ("run", [:], "missing required argument 'command'"),
                ("run", ["command": "   "], "empty"),
                ("run", ["command": .string(String(repeating: "x", count: 200_000))], "limit is 131071"),
                ("run", ["command": "true", "timeout": "10"], "must be a number"),
                ("run", ["command": "true", "env": ["A": 1]], "env.A"),
                ("run", ["command": "true", "cwd": "/no/such/dir"], "not an existing directory"),
                ("run", ["command": "true", "comand": "x"], "unknown argument 'comand'"),
                ("start", ["command": "true", "priority": "urgent"], "must be one of"),
                ("status", ["job": "../x"], "not a job id"),
                ("status", ["job": ""], "not a job id"),
                ("status", ["job": .string(String(repeating: "A", count: 10_000))], "not a job id"),
                ("status", ["job": "01ARZ3NDEKTSV4RRFFQ69G5FAV"], "no job 01ARZ3NDEKTSV4RRFFQ69G5FAV"),
                ("output", ["job": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "offset": -1], "between"),
                ("wait", ["jobs": []], "1 to 1000"),
                ("wait", ["jobs": "01ARZ3NDEKTSV4RRFFQ69G5FAV"], "an array"),
                ("list", ["state": "nope"], "must be one of"),
            ]
            for (tool, arguments, message) in cases {
                let result = try await mcp.call(tool, arguments)
                #expect(result.isError == true, "\(tool) \(arguments.keys)")
                #expect(result.text.contains(message), "\(tool): \(result.text.prefix(200))")
            }
            await #expect(throws: MCPError.self) { _ = try await mcp.call("no_such_tool") }
            // Still serving.
            let ok = try await mcp.call("run", ["command": "echo alive"])
            #expect(ok["stdout"] == "alive\n")
        }
    }

    @Test("lines that are not JSON get -32700 with id null; a notification with malformed params gets no answer at all; the server goes on")
    func parseErrors() async throws {
        try await withSpool { spool in
            let process = try spool.startFrontend(workers: 0)
            let input = FileHandle(fileDescriptor: process.stdinFD!, closeOnDealloc: false)
            let lines: [[UInt8]] = [
                Array("this is not json\n".utf8),
                [0xFF, 0xFE, 0x7B, 0x0A], // not UTF-8
                Array("{\"jsonrpc\":\"2.0\",\"id\":7}\n".utf8),
                Array("{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":[]}\n".utf8), // a notification: never answered
                Array("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\"}\n".utf8),
            ]
            for line in lines { input.write(Data(line)) }
            var received = ""
            let deadline = Date().addingTimeInterval(10)
            while received.components(separatedBy: "\n").count < 5 && Date() < deadline {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = read(process.stdoutFD!, &buffer, buffer.count)
                if n > 0 { received += String(decoding: buffer[0..<n], as: UTF8.self) } else { break }
            }
            let replies = received.split(separator: "\n").map { try? JSONDecoder().decode(Value.self, from: Data($0.utf8)) }
            #expect(replies.count == 4)
            func field(_ i: Int, _ path: String...) -> Value? {
                guard i < replies.count, var value = replies[i] else { return nil }
                for key in path {
                    guard case .object(let o) = value, let next = o[key] else { return nil }
                    value = next
                }
                return value
            }
            #expect(field(0, "error", "code") == -32700)
            #expect(field(0, "id") == .null)
            #expect(field(1, "error", "code") == -32700)
            #expect(field(2, "error", "code") == -32600)
            #expect(field(2, "id") == 7)
            #expect(field(3, "id") == 8)
            #expect(field(3, "result") != nil)
        }
    }

    @Test("a request written in place (empty first, content later) is not mistaken for a corrupt one")
    func writtenInPlace() async throws {
        try await withSpool { spool in
            _ = try spool.startWorker(id: "w")
            let id = JobID.make()
            let path = spool.layout.queued(id, .async)
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            #expect(fd >= 0)
            // Another arrival wakes the worker while the first file is still empty.
            let other = JobRequest(command: "true", priority: .async)
            try SpoolQueue(layout: spool.layout).submit(other)
            try await Task.sleep(for: .milliseconds(500))
            #expect(FileManager.default.fileExists(atPath: path), "left in the queue while empty")
            let body = Array("{\"command\": \"echo in place\"}".utf8)
            #expect(write(fd, body, body.count) == body.count)
            close(fd)
            let deadline = Date().addingTimeInterval(10)
            while try spool.status(id.rawValue)?.state.isFinal != true && Date() < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try spool.status(id.rawValue)?.state == .succeeded)
            #expect(spool.read(spool.layout.job(id, .stdout)) == "in place\n")
            #expect(spool.names(spool.layout.bad).isEmpty)
        }
    }

    @Test("corrupt and foreign files dropped into the queue are moved to bad/ with a reason")
    func corruptFiles() async throws {
        try await withSpool { spool in
            let async = spool.layout.queue(.async)
            let good = JobID.make()
            try Data("{\"command\": \"echo ok\"}".utf8).write(to: URL(fileURLWithPath: "\(async)/\(good.fileName)"))
            let broken = JobID.make()
            try Data("{\"command\": ".utf8).write(to: URL(fileURLWithPath: "\(async)/\(broken.fileName)"))
            let wrongType = JobID.make()
            try Data("{\"command\": [1]}".utf8).write(to: URL(fileURLWithPath: "\(async)/\(wrongType.fileName)"))
            try Data("hello".utf8).write(to: URL(fileURLWithPath: "\(async)/notes.txt"))
            let link = JobID.make()
            symlink("/etc/passwd", "\(async)/\(link.fileName)")
            let mcp = try await MCPHarness(spool: spool, workers: 1)
            let waited = try await mcp.call("wait", ["jobs": [.string(good.rawValue)], "timeout": 20])
            #expect(waited["completed"] == true)
            // The bad files are claimed after the good one (id order): give the worker a moment.
            var bad: [String] = []
            let deadline = Date().addingTimeInterval(10)
            while bad.count < 8 && Date() < deadline {
                try await Task.sleep(for: .milliseconds(50))
                bad = spool.names(spool.layout.bad)
            }
            for name in [broken.fileName, wrongType.fileName, "notes.txt", link.fileName] {
                #expect(bad.contains(name), "\(name) moved aside")
                #expect(bad.contains(name + ".reason"))
            }
            #expect(spool.read(spool.layout.bad + "/" + broken.fileName + ".reason")?.contains("not valid JSON") == true)
            #expect(spool.read(spool.layout.bad + "/" + wrongType.fileName + ".reason")?.contains("command") == true)
            #expect(spool.read(spool.layout.bad + "/" + link.fileName + ".reason")?.contains("symlink") == true)
            #expect(spool.read(spool.layout.job(good, .stdout)) == "ok\n")
            // The workers are still serving.
            let after = try await mcp.call("run", ["command": "echo still"])
            #expect(after["stdout"] == "still\n")
        }
    }
}
