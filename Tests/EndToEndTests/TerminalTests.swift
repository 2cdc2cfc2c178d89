import Foundation
import MCP
import Spool
import Testing

/// Jobs on a pseudo-terminal (DESIGN.md, "Terminals"): driven with keys through real MCP,
/// read as a screen, their state read from the kernel.
@Suite("Terminals", .serialized)
struct TerminalTests {
    /// Starts `command` on a terminal and returns its job id.
    static func start(_ mcp: MCPHarness, _ command: String, _ extra: [String: Value] = [:]) async throws -> String {
        let started = try await mcp.call("start", ["command": .string(command), "tty": true, "priority": "sync"].merging(extra) { $1 })
        #expect(started.isError != true, "\(started.text)")
        return try #require(started["job"]?.stringValue)
    }

    /// Looks at the screen until `condition` holds (a program under load may take a while
    /// to draw), for at most `timeout` seconds; returns the last look.
    @discardableResult
    static func screen(_ mcp: MCPHarness, _ job: String, timeout: Double = 20, settle: Int = 300,
                       until condition: (CallTool.Result) -> Bool) async throws -> CallTool.Result {
        let deadline = Date().addingTimeInterval(timeout)
        var look = try await mcp.call("screen", ["job": .string(job), "settle": .int(settle)])
        while !condition(look) && Date() < deadline {
            look = try await mcp.call("screen", ["job": .string(job), "settle": .int(settle)])
        }
        return look
    }

    static func lines(_ look: CallTool.Result) -> [String] {
        look["lines"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    static func send(_ mcp: MCPHarness, _ job: String, data: String? = nil, keys: [String] = [], _ extra: [String: Value] = [:]) async throws -> CallTool.Result {
        var arguments: [String: Value] = ["job": .string(job)]
        if let data { arguments["data"] = .string(data) }
        if !keys.isEmpty { arguments["keys"] = .array(keys.map { .string($0) }) }
        let result = try await mcp.call("send_input", arguments.merging(extra) { $1 })
        #expect(result.isError != true, "\(result.text)")
        return result
    }

    @Test("python3 -q on a terminal: 1+1 and Enter show 2, and the REPL awaits input; Ctrl-C interrupts, Ctrl-D ends it with exit code 0; output keeps the raw bytes")
    func pythonREPL() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let job = try await Self.start(mcp, "python3 -q")
            try await Self.screen(mcp, job) { $0["state"] == "awaiting_input" && Self.lines($0).first == ">>>" }
            _ = try await Self.send(mcp, job, data: "1+1", keys: ["Enter"])
            let look = try await Self.screen(mcp, job) { Self.lines($0).contains("2") && $0["state"] == "awaiting_input" }
            #expect(Self.lines(look).prefix(3) == [">>> 1+1", "2", ">>>"], "\(look.text)")
            #expect(look["state"] == "awaiting_input", "\(look.text)")
            #expect(look["cursor"]?.objectValue?["row"] == 2, "\(look.text)")
            #expect(look["changed"] == true)
            let status = try await mcp.call("status", ["job": .string(job)])
            #expect(status["tty"] == true, "\(status.text)")
            let again = try await mcp.call("screen", ["job": .string(job), "settle": 0])
            #expect(again["changed"] == false, "\(again.text)")
            // `output` is the terminal's raw stream: the echo and the line discipline's CR LF.
            let raw = try await mcp.call("output", ["job": .string(job)])
            #expect(raw["data"]?.stringValue?.contains("1+1\r\n2\r\n") == true, "\(raw.text)")
            // Ctrl-C interrupts a computation and the prompt returns.
            _ = try await Self.send(mcp, job, data: "import time; time.sleep(60)", keys: ["Enter"])
            let busy = try await Self.screen(mcp, job) { $0["state"] == "busy" }
            #expect(busy["state"] == "busy", "\(busy.text)")
            _ = try await Self.send(mcp, job, keys: ["Ctrl-C"])
            let interrupted = try await Self.screen(mcp, job) { Self.lines($0).contains("KeyboardInterrupt") && $0["state"] == "awaiting_input" }
            #expect(Self.lines(interrupted).contains("KeyboardInterrupt"), "\(interrupted.text)")
            // One more line: a REPL left right after a KeyboardInterrupt ends itself with
            // SIGINT (Python's own choice).
            _ = try await Self.send(mcp, job, data: "2+2", keys: ["Enter"])
            try await Self.screen(mcp, job) { Self.lines($0).contains("4") && $0["state"] == "awaiting_input" }
            // Ctrl-D at the prompt ends the REPL with its own status: the shell around it
            // took the Ctrl-C too, and must not end with signal 2 for it.
            _ = try await Self.send(mcp, job, keys: ["Ctrl-D"])
            let ended = try await Self.screen(mcp, job) { $0["state"] == "exited" }
            #expect(ended["exitCode"] == 0, "\(ended.text)")
            #expect(try spool.status(job)?.state == .succeeded)
        }
    }

    @Test("bash -i: Ctrl-C interrupts sleep 30 and the prompt returns; exit 3 ends the job with exit code 3")
    func interactiveShell() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let job = try await Self.start(mcp, "PS1='prompt$ ' bash --norc -i")
            try await Self.screen(mcp, job) { $0["state"] == "awaiting_input" }
            _ = try await Self.send(mcp, job, data: "sleep 30", keys: ["Enter"])
            let sleeping = try await Self.screen(mcp, job) { $0["state"] == "busy" }
            #expect(sleeping["state"] == "busy", "\(sleeping.text)")
            let interrupted = Date()
            _ = try await Self.send(mcp, job, keys: ["Ctrl-C"])
            let back = try await Self.screen(mcp, job) { $0["state"] == "awaiting_input" }
            #expect(back["state"] == "awaiting_input", "\(back.text)")
            #expect(Date().timeIntervalSince(interrupted) < 20, "the prompt came back only after the sleep ended")
            #expect(Self.lines(back).contains { $0.hasPrefix("prompt$ sleep 30") }, "\(back.text)")
            #expect(Self.lines(back).last { !$0.isEmpty } == "prompt$", "\(back.text)")
            _ = try await Self.send(mcp, job, data: "exit 3", keys: ["Enter"])
            let ended = try await Self.screen(mcp, job) { $0["state"] == "exited" }
            #expect(ended["exitCode"] == 3, "\(ended.text)")
            #expect(try spool.status(job)?.exitCode == 3)
        }
    }

    @Test("read -s gives password_prompt, a plain read awaiting_input, sleep busy")
    func statesFromTheKernel() async throws {
        try await withMCP(workers: 1) { _, mcp in
            let job = try await Self.start(mcp, #"read -s -p "Password: " x; echo; read -p "Name: " y; sleep 2; echo "bye $y""#)
            let secret = try await Self.screen(mcp, job) { $0["state"] == "password_prompt" }
            #expect(secret["state"] == "password_prompt", "\(secret.text)")
            #expect(Self.lines(secret).first == "Password:", "\(secret.text)")
            _ = try await Self.send(mcp, job, data: "hunter2", keys: ["Enter"])
            let plain = try await Self.screen(mcp, job) { $0["state"] == "awaiting_input" }
            #expect(plain["state"] == "awaiting_input", "\(plain.text)")
            #expect(!plain.text.contains("hunter2"), "the password was echoed: \(plain.text)")
            _ = try await Self.send(mcp, job, data: "ada", keys: ["Enter"])
            let busy = try await mcp.call("screen", ["job": .string(job), "settle": 100])
            #expect(busy["state"] == "busy", "\(busy.text)")
            let ended = try await Self.screen(mcp, job) { $0["state"] == "exited" }
            #expect(Self.lines(ended).contains("bye ada"), "\(ended.text)")
        }
    }

    @Test("less on a 200-line file: the screen shows its rows, PageDown moves it, q leaves it")
    func fullScreenProgram() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let file = spool.root + "/../lines.txt"
            try (1...200).map { "line \($0)" }.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let job = try await Self.start(mcp, "less '\(file)'", ["cols": 80, "rows": 24])
            let first = try await Self.screen(mcp, job) { Self.lines($0).first == "line 1" && $0["state"] == "awaiting_input" }
            #expect(Self.lines(first).count == 24)
            #expect(Self.lines(first).first == "line 1", "\(first.text)")
            #expect(Self.lines(first)[22] == "line 23", "\(first.text)")
            _ = try await Self.send(mcp, job, keys: ["PageDown"])
            let moved = try await Self.screen(mcp, job) { Self.lines($0).first == "line 24" }
            #expect(Self.lines(moved).first == "line 24", "\(moved.text)")
            _ = try await Self.send(mcp, job, data: "q")
            let ended = try await Self.screen(mcp, job) { $0["state"] == "exited" }
            #expect(ended["exitCode"] == 0, "\(ended.text)")
        }
    }

    @Test("Resize: tput cols says 120, then 80 after send_input cols: 80")
    func resize() async throws {
        try await withMCP(workers: 1) { _, mcp in
            let job = try await Self.start(mcp, "PS1='$ ' bash --norc -i")
            try await Self.screen(mcp, job) { $0["state"] == "awaiting_input" }
            _ = try await Self.send(mcp, job, data: "tput cols", keys: ["Enter"])
            let before = try await Self.screen(mcp, job) { Self.lines($0).contains("120") }
            #expect(Self.lines(before).contains("120"), "\(before.text)")
            let resized = try await Self.send(mcp, job, ["cols": 80])
            #expect(resized["cols"] == 80 && resized["rows"] == 40, "\(resized.text)")
            _ = try await Self.send(mcp, job, data: "tput cols", keys: ["Enter"])
            let after = try await Self.screen(mcp, job) { Self.lines($0).contains("80") }
            #expect(Self.lines(after).contains("80"), "\(after.text)")
            #expect(after["cols"] == 80, "\(after.text)")
            _ = try await Self.send(mcp, job, data: "exit", keys: ["Enter"])
        }
    }

    @Test("kill -9 of spool-worker and of spool-mcp while a REPL waits: after a restart the screen is the same and input still reaches it")
    func survivesCrashes() async throws {
        try await withSpool { spool in
            let first = try await MCPHarness(spool: spool, workers: 1)
            let job = try await Self.start(first, "python3 -q")
            try await Self.screen(first, job) { $0["state"] == "awaiting_input" }
            _ = try await Self.send(first, job, data: "x = 40 + 2", keys: ["Enter"])
            let before = try await Self.screen(first, job) { Self.lines($0).prefix(2) == [">>> x = 40 + 2", ">>>"] }
            let worker = try #require(try spool.status(job)?.worker)
            let workerPid = try #require(Self.pid(commandLineContaining: ["spool-worker", worker.rawValue]))
            kill(workerPid, SIGKILL)
            kill(first.process.pid, SIGKILL)
            _ = await eventually { kill(first.process.pid, 0) != 0 && kill(workerPid, 0) != 0 }
            #expect(try spool.status(job)?.state == .running, "the job ended with its worker")
            let second = try await MCPHarness(spool: spool, workers: 1)
            defer { Task { await second.close() } }
            let after = try await second.call("screen", ["job": .string(job), "settle": 0])
            #expect(Self.lines(after) == Self.lines(before), "\(after.text)")
            #expect(after["state"] == "awaiting_input", "\(after.text)")
            _ = try await Self.send(second, job, data: "x", keys: ["Enter"])
            let answered = try await Self.screen(second, job) { Self.lines($0).contains("42") }
            #expect(Self.lines(answered).contains("42"), "\(answered.text)")
            _ = try await Self.send(second, job, keys: ["Ctrl-D"])
            let ended = try await Self.screen(second, job) { $0["state"] == "exited" }
            #expect(ended["exitCode"] == 0, "\(ended.text)")
        }
    }

    @Test("kill -9 of the keeper: the supervisor carries on with the terminal; input, screen and the exit code still work")
    func keeperKilled() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let job = try await Self.start(mcp, "python3 -q")
            try await Self.screen(mcp, job) { $0["state"] == "awaiting_input" }
            let keeper = try #require(try spool.status(job)?.keeperPid)
            kill(keeper, SIGKILL)
            #expect(await eventually { ProcessProbe.stat(keeper) == nil || ProcessProbe.stat(keeper)?.state == "Z" })
            _ = try await Self.send(mcp, job, data: "6*7", keys: ["Enter"])
            let answered = try await Self.screen(mcp, job) { Self.lines($0).contains("42") && $0["state"] == "awaiting_input" }
            #expect(Self.lines(answered).contains("42"), "\(answered.text)")
            _ = try await Self.send(mcp, job, data: "raise SystemExit(5)", keys: ["Enter"])
            let ended = try await Self.screen(mcp, job) { $0["state"] == "exited" }
            #expect(ended["exitCode"] == 5, "\(ended.text)")
            #expect(try spool.status(job)?.exitCode == 5)
        }
    }

    @Test("cancel ends every process of the terminal's session, background jobs of the shell included")
    func cancelEndsTheSession() async throws {
        try await withMCP(workers: 1) { spool, mcp in
            let job = try await Self.start(mcp, "PS1='$ ' bash --norc -i")
            try await Self.screen(mcp, job) { $0["state"] == "awaiting_input" }
            // A background job that ignores the terminal's hangup: only a signal to every
            // process of the session reaches it.
            _ = try await Self.send(mcp, job, data: "(trap '' HUP; exec sleep 300) & echo started $!", keys: ["Enter"])
            let look = try await Self.screen(mcp, job) { Self.lines($0).contains { $0.hasPrefix("started ") } }
            let line = try #require(Self.lines(look).first { $0.hasPrefix("started ") }, "\(look.text)")
            let background = try #require(Int32(line.dropFirst("started ".count)))
            #expect(ProcessProbe.stat(background)?.session == (try spool.status(job)?.pid))
            let cancelled = try await mcp.call("cancel", ["job": .string(job)])
            #expect(cancelled["state"] == "cancelled", "\(cancelled.text)")
            #expect(await eventually { ProcessProbe.stat(background) == nil }, "the shell's background job outlived the cancel")
        }
    }

    @Test("A terminal job runs under the job policy like any job: a write outside --write is refused, and getpass on /dev/tty works")
    func underPolicy() async throws {
        try await withPolicyMCP({ $0.flags }) { _, mcp, folders in
            let job = try await Self.start(mcp, "touch '\(folders.outside)/from-tty'; echo touched=$?; python3 -c 'import getpass; print(\"got\", len(getpass.getpass()))'")
            let prompt = try await Self.screen(mcp, job) { $0["state"] == "password_prompt" }
            #expect(prompt["state"] == "password_prompt", "\(prompt.text)")
            #expect(Self.lines(prompt).contains("touched=1"), "\(prompt.text)")
            _ = try await Self.send(mcp, job, data: "abc", keys: ["Enter"])
            let ended = try await Self.screen(mcp, job) { $0["state"] == "exited" }
            #expect(Self.lines(ended).contains("got 3"), "\(ended.text)")
            #expect(!folders.exists("from-tty"), "a terminal job wrote outside its write root")
        }
    }

    @Test("Errors: unknown key names, screen and keys on a job without a terminal, tty with a stdin string, a size out of range")
    func errors() async throws {
        try await withMCP(workers: 2) { spool, mcp in
            let job = try await Self.start(mcp, "cat")
            try await Self.screen(mcp, job) { $0["state"] == "awaiting_input" }
            let unknown = try await mcp.call("send_input", ["job": .string(job), "data": "sent?", "keys": ["Enter", "Ctrl-Shift-Q"]])
            #expect(unknown.isError == true)
            #expect(unknown.text.contains("Ctrl-Shift-Q") && unknown.text.contains("PageDown"), "\(unknown.text)")
            #expect(spool.read(spool.layout.job(JobID(job)!, .stdout))?.contains("sent?") == false, "input was sent before the keys were checked")

            let plain = try await mcp.call("start", ["command": "sleep 30", "stdin": "pipe", "priority": "sync"])
            let plainJob = try #require(plain["job"]?.stringValue)
            _ = await eventually { (try? spool.status(plainJob))?.state == .running }
            let noScreen = try await mcp.call("screen", ["job": .string(plainJob)])
            #expect(noScreen.isError == true)
            #expect(noScreen.text.contains("does not run on a terminal"), "\(noScreen.text)")
            let noKeys = try await mcp.call("send_input", ["job": .string(plainJob), "keys": ["Enter"]])
            #expect(noKeys.isError == true && noKeys.text.contains("does not run on a terminal"), "\(noKeys.text)")
            _ = try await mcp.call("cancel", ["job": .string(plainJob)])

            let withInput = try await mcp.call("start", ["command": "cat", "tty": true, "stdin": "hello"])
            #expect(withInput.isError == true && withInput.text.contains("send_input"), "\(withInput.text)")
            let sizeAlone = try await mcp.call("start", ["command": "cat", "cols": 80])
            #expect(sizeAlone.isError == true && sizeAlone.text.contains("tty: true"), "\(sizeAlone.text)")
            let tooWide = try await mcp.call("start", ["command": "cat", "tty": true, "cols": 5000])
            #expect(tooWide.isError == true, "\(tooWide.text)")
            _ = try await mcp.call("cancel", ["job": .string(job)])
        }
    }

    @Test("Escape sequences that set the title or query the terminal do not break screen; output keeps the raw bytes")
    func escapeSequences() async throws {
        try await withMCP(workers: 1) { _, mcp in
            let job = try await Self.start(mcp, #"printf '\033]0;my title\007\033[6n\033[c\033[>c\033]11;?\007\033[2J\033[Hafter\n'; read x"#)
            let look = try await Self.screen(mcp, job) { $0["state"] == "awaiting_input" && Self.lines($0).contains("after") }
            #expect(look["title"] == "my title", "\(look.text)")
            #expect(Self.lines(look).first == "after", "\(look.text)")
            let raw = try await mcp.call("output", ["job": .string(job)])
            #expect(raw["data"]?.stringValue?.contains("\u{1B}]0;my title\u{07}") == true, "\(raw.text)")
            _ = try await Self.send(mcp, job, keys: ["Enter"])
            let ended = try await Self.screen(mcp, job) { $0["state"] == "exited" }
            #expect(ended["exitCode"] == 0, "\(ended.text)")
        }
    }

    @Test("spool://jobs/<id>/screen reads the screen as text, and a subscriber hears when it changes")
    func screenResource() async throws {
        try await withMCP(workers: 1) { _, mcp in
            let job = try await Self.start(mcp, "printf 'hello\\nscreen\\n'; read x; echo \"got $x\"; read y")
            try await Self.screen(mcp, job) { $0["state"] == "awaiting_input" }
            let uri = "spool://jobs/\(job)/screen"
            let read = try await mcp.client.readResource(uri: uri)
            let text = read.compactMap(\.text).joined()
            #expect(text == "hello\nscreen", "\(text)")
            let updates = NoticeLog()
            _ = await mcp.client.onNotification(ResourceUpdatedNotification.self) { message in
                await updates.append(.string(message.params.uri))
            }
            try await mcp.client.subscribeToResource(uri: uri)
            _ = try await Self.send(mcp, job, data: "it", keys: ["Enter"])
            let deadline = Date().addingTimeInterval(10)
            while await !updates.items.contains(.string(uri)), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(await updates.items.contains(.string(uri)), "no resources/updated for the screen")
            let after = try await mcp.client.readResource(uri: uri).compactMap(\.text).joined()
            #expect(after.contains("got it"), "\(after)")
            _ = try await Self.send(mcp, job, keys: ["Enter"])
        }
    }

    /// The first process whose command line contains every one of `parts`.
    static func pid(commandLineContaining parts: [String]) -> Int32? {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { continue }
            let line = String(decoding: data, as: UTF8.self)
            if parts.allSatisfy(line.contains) { return pid }
        }
        return nil
    }
}
