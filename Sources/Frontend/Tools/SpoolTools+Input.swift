import MCPWire
import Spool

/// `send_input` and `screen`: driving a running job, on a pipe or on a terminal
/// (DESIGN.md, "Terminals").
extension SpoolTools {
    struct SendInputResult: Codable {
        var job: String
        var bytes: Int
        var eof: Bool
        var state: JobState
        /// The terminal's size after a resize.
        var cols: Int?
        var rows: Int?
    }

    func sendInput(_ arguments: [String: Value]?) throws -> CallToolResult {
        let args = try ToolArguments(.sendInput, values: arguments)
        let id = try args.job()
        let data = try args.string("data") ?? ""
        let keyNames = try args.strings("keys") ?? []
        let cols = try args.integer("cols", range: TerminalSize.range)
        let rows = try args.integer("rows", range: TerminalSize.range)
        let eof = try args.bool("eof") ?? false
        // Everything is checked before any byte is sent.
        let keys: [UInt8]
        do { keys = try TerminalKeys.bytes(keyNames) } catch {
            throw ToolError.invalid(tool: args.tool, argument: "keys", reason: error.description)
        }
        let input = Array(data.utf8) + keys
        let resizing = cols != nil || rows != nil
        guard !input.isEmpty || eof || resizing else {
            throw ToolError.missing(tool: args.tool, argument: "data", expected: "text to write to the job's input, keys to press (terminal jobs), cols/rows to resize, or eof: true to close it")
        }
        guard input.count <= 1 << 20 else {
            throw ToolError.invalid(tool: args.tool, argument: "data", reason: "is \(input.count) bytes with its keys; send at most 1 MiB per call")
        }
        var snapshot = try service.snapshotOrThrow(id)
        var size: TerminalSize?
        if !keyNames.isEmpty || resizing {
            guard snapshot.status.state == .running else {
                _ = try service.sendInput(id, data: [], eof: false) // says why a job that is not running takes no input
                throw ToolError.refused(tool: args.tool, reason: "job \(id) is not running")
            }
            guard (try? service.records.request(id))??.terminal != nil else {
                throw ToolError.refused(tool: args.tool, reason: "job \(id) does not run on a terminal, so keys, cols and rows do not apply: send text with data, or start the program with tty: true")
            }
            if resizing { size = try service.resize(id, status: snapshot.status, cols: cols, rows: rows) }
        }
        let written = input.isEmpty && !eof ? 0 : try service.sendInput(id, data: input, eof: eof)
        snapshot = try service.snapshotOrThrow(id)
        var text = "wrote \(written) byte(s) to the input of job \(id)"
        if written < input.count {
            text = "wrote only \(written) of \(input.count) bytes to job \(id): it did not read its input within 10 s; send the rest later"
        } else if eof {
            text += " and closed it"
        }
        if let size { text += "; its terminal is now \(size.cols)×\(size.rows)" }
        let result = SendInputResult(job: id.rawValue, bytes: written, eof: eof && written == input.count,
                                     state: snapshot.status.state, cols: size?.cols, rows: size?.rows)
        return CallToolResult(text: text, structuredContent: try Value(encoding: result), isError: written < input.count)
    }

    struct ScreenResult: Codable {
        var job: String
        var lines: [String]
        var cursor: TerminalScreen.Cursor
        var title: String
        var state: TerminalState
        var changed: Bool
        var offset: Int64
        var cols: Int
        var rows: Int
        var exitCode: Int32?
        /// The job's own state (`succeeded`, `failed`, …) once it ended.
        var jobState: JobState
    }

    func screen(_ arguments: [String: Value]?) async throws -> CallToolResult {
        let args = try ToolArguments(.screen, values: arguments)
        let id = try args.job()
        let settle = try args.integer("settle", range: 0...60_000) ?? 300
        let timeout = try args.number("timeout", range: 0...300) ?? 10
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        let terminal = try await service.terminalJob(id, tool: args.tool, deadline: deadline)
        var settled = await service.settle(id, quiet: .milliseconds(settle), deadline: deadline) ?? terminal.snapshot
        // The state is read before the screen: output that comes in between is then in the
        // screen too, never missing from a screen that says the program waits.
        var state = service.terminalState(settled.status)
        if state == nil {
            // The command has ended and its keeper is recording it: wait for the record.
            let left = max(0.5, (deadline - .now) / .seconds(1))
            settled = await service.waitFinal([id], any: true, timeout: left)[id] ?? settled
            state = settled.status.state.isFinal ? .exited : .busy
        }
        let found = state ?? .busy
        let look: TerminalScreens.Look
        do {
            look = try await service.screens.look(id, initial: terminal.initial, through: service.records.outputSize(id, .stdout))
        } catch { throw ToolError.spool(error) }
        let ended = settled.status.state.isFinal
        let result = ScreenResult(
            job: id.rawValue, lines: look.screen.lines, cursor: look.screen.cursor, title: look.screen.title,
            state: found, changed: look.changed, offset: look.offset, cols: look.size.cols, rows: look.size.rows,
            exitCode: ended ? settled.status.exitCode : nil, jobState: settled.status.state)
        var text = "job \(id): \(found.rawValue)"
        if ended { text += " (\(settled.status.state.rawValue)\(settled.status.exitCode.map { ", exit code \($0)" } ?? ""))" }
        text += "; cursor at row \(look.screen.cursor.row), column \(look.screen.cursor.col)"
        if !look.screen.title.isEmpty { text += "; title \"\(look.screen.title)\"" }
        if !look.changed { text += "; unchanged since the last look" }
        text += "\n" + look.screen.text
        return CallToolResult(text: text, structuredContent: try Value(encoding: result))
    }
}
