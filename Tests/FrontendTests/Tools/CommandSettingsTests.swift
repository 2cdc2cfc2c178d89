import Foundation
import Spool
import Testing
@testable import Frontend

@Suite("CommandSettings")
struct CommandSettingsTests {
    /// A folder, a symlink to it, a file and a symlink to nothing, in a fresh temp folder.
    final class Scratch {
        let root: String
        init() throws {
            root = NSTemporaryDirectory() + "spool-settings-" + JobID.make().rawValue
            try FileManager.default.createDirectory(atPath: root + "/dir", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/dir")
            FileManager.default.createFile(atPath: root + "/file", contents: Data())
            try FileManager.default.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: root + "/nothing")
        }
        deinit { try? FileManager.default.removeItem(atPath: root) }
    }

    func check(cwd: String?, shell: String? = nil, env: [String: String]? = nil, in scratch: Scratch) -> Result<CommandSettings, RequestProblem> {
        Result { () throws(RequestProblem) in
            try CommandSettings.check(cwd: cwd, shell: shell, env: env, workingDirectory: scratch.root)
        }
    }

    @Test("folders and symlinks to folders are working folders; relative ones are taken from the working directory")
    func folders() throws {
        let scratch = try Scratch()
        #expect(try check(cwd: nil, in: scratch).get().cwd == scratch.root)
        #expect(try check(cwd: "dir", in: scratch).get().cwd == scratch.root + "/dir")
        #expect(try check(cwd: scratch.root + "/link", in: scratch).get().cwd == scratch.root + "/link")
    }

    @Test("a file, a dangling link or nothing is refused against cwd", arguments: ["file", "dangling", "missing"])
    func notFolders(name: String) throws {
        let scratch = try Scratch()
        let result = check(cwd: name, in: scratch)
        #expect(result == .failure(.notADirectory(scratch.root + "/" + name)))
        #expect((try? result.get()) == nil)
        if case .failure(let problem) = result { #expect(problem.argument == "cwd") }
    }

    @Test("shell must be an absolute path to an executable; env names must be names")
    func shellAndEnv() throws {
        let scratch = try Scratch()
        #expect(try check(cwd: nil, shell: "/bin/sh", in: scratch).get().shell == "/bin/sh")
        #expect(check(cwd: nil, shell: "bash", in: scratch) == .failure(.relativePath(argument: "shell", path: "bash")))
        #expect(check(cwd: nil, shell: scratch.root + "/file", in: scratch) == .failure(.notExecutable(scratch.root + "/file")))
        #expect(check(cwd: nil, env: ["A=B": "x"], in: scratch) == .failure(.badEnvName("A=B")))
        #expect(check(cwd: "dir\u{0}x", in: scratch) == .failure(.nulIn(argument: "cwd")))
    }
}

@Suite("ToolName")
struct ToolNameTests {
    @Test("every tool has a schema whose properties are exactly the arguments it accepts, in tools/list order")
    func catalog() {
        #expect(ToolCatalog.tools.map(\.name) == ToolName.allCases.map(\.rawValue))
        #expect(ToolName.run.arguments == ["cols", "command", "cwd", "env", "retries", "rows", "session", "shell", "stdin", "timeout", "tty", "wait"])
        #expect(ToolName.stats.arguments.isEmpty)
        for tool in ToolName.allCases where tool != .stats { #expect(!tool.arguments.isEmpty, "\(tool)") }
    }

    @Test("an argument not in the schema is refused by name, with the ones the tool takes")
    func unknown() {
        #expect(throws: ToolError.self) { try ToolArguments(.status, values: ["jobb": .string("x")]) }
        do {
            _ = try ToolArguments(.status, values: ["jobb": .string("x")])
        } catch {
            #expect(error.description == "status: unknown argument 'jobb'; status takes job")
        }
    }
}
