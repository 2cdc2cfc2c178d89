import MCPWire
import Spool

/// The tools spool-mcp offers, with their JSON Schemas. Names and arguments are fixed by
/// DESIGN.md: clients and tests rely on them.
enum ToolCatalog {
    static let commandProperties: [String: Value] = [
        "command": ["type": "string", "description": "Shell command line, run as SHELL -c COMMAND in its own process group."],
        "cwd": ["type": "string", "description": "Working directory (absolute, or relative to spool-mcp's). Default: spool-mcp's working directory."],
        "env": ["type": "object", "additionalProperties": ["type": "string"], "description": "Extra environment variables."],
        "timeout": ["type": "number", "description": "Seconds after which the whole process group is terminated (TERM, then KILL)."],
        "stdin": ["type": "string", "description": "Text given to the command on standard input, or \"pipe\" to keep its stdin open for send_input (not with session)."],
        "shell": ["type": "string", "description": "Absolute path of the shell; default /bin/sh (with tty: /bin/bash where it exists)."],
        "retries": ["type": "integer", "minimum": 0, "maximum": 100, "default": 0, "description": "With workers on other hosts (--postgres): how many times the job may be claimed again when the host running it is lost (its lease runs out). 0: it is reported lost."],
        "session": ["type": "string", "description": "Run in this persistent session (from session_start): its shell keeps cwd, exported variables and functions between commands. cwd, env and shell do not apply."],
        "tty": ["type": "boolean", "default": false, "description": "Run on a pseudo-terminal (REPLs, prompts, pagers, TUIs): stdout is the raw terminal output, there is no stderr, and input comes from send_input (data and keys). Read it as a screen with the screen tool."],
        "cols": ["type": "integer", "minimum": 1, "maximum": 1000, "default": 120, "description": "Terminal width in characters (with tty)."],
        "rows": ["type": "integer", "minimum": 1, "maximum": 1000, "default": 40, "description": "Terminal height in lines (with tty)."],
    ]

    static let jobProperty: Value = ["type": "string", "description": "Job id (26-character ULID) from run or start."]
    static let sessionProperty: Value = ["type": "string", "description": "Session id from session_start."]
    static let streamProperty: Value = ["type": "string", "enum": ["stdout", "stderr"], "default": "stdout"]

    static func object(_ properties: [String: Value], required: [String] = []) -> Value {
        [
            "type": "object",
            "properties": .object(properties),
            "required": .array(required.map { .string($0) }),
            "additionalProperties": false,
        ]
    }

    static var tools: [Tool] { ToolName.allCases.map(definition) }

    /// The tools `tools/list` gives when `features` are on.
    static func tools(with features: Set<ToolFeature>) -> [Tool] {
        ToolName.allCases.filter { $0.feature.map(features.contains) ?? true }.map(definition)
    }

    static let pathProperty: Value = ["type": "string", "description": "A file under a watched folder (--watch): absolute, or relative to the first one. Its real path, with symlinks resolved, must be inside a watched folder."]
    static let backupProperty: Value = ["type": "string", "description": "A backup's commit id (or at least 4 of its first hex digits) from backup_list."]

    static func definition(_ name: ToolName) -> Tool {
        var run = commandProperties
        run["wait"] = ["type": "number", "description": "Seconds to wait for the result (default 30, at most 300). If the command is still running then, the result has its job id and the output so far; it keeps running."]
        var start = commandProperties
        start["priority"] = ["type": "string", "enum": ["async", "sync"], "default": "async", "description": "Queue: async (background, default) or sync (served first)."]
        switch name {
        case .run:
            return Tool(name: name.rawValue, description: "Run a shell command and return its exit code and output. Waits at most `wait` seconds; a longer command keeps running and the result gives its job id for status/output/wait.", inputSchema: object(run, required: ["command"]), annotations: .init(title: "Run a command", destructiveHint: true, openWorldHint: true))
        case .start:
            return Tool(name: name.rawValue, description: "Queue a command in the background and return its job id, queue position and ETA at once.", inputSchema: object(start, required: ["command"]), annotations: .init(title: "Start a background command", destructiveHint: true, openWorldHint: true))
        case .status:
            return Tool(name: name.rawValue, description: "State of a job: queued (with position), running, or its outcome (exit code, signal, times, worker, output sizes).", inputSchema: object(["job": jobProperty], required: ["job"]), annotations: .init(title: "Job status", readOnlyHint: true))
        case .output:
            return Tool(name: name.rawValue, description: "Read a job's stdout or stderr from a byte offset; returns data and nextOffset for the next call, and eof once the job has ended and everything was read.", inputSchema: object(["job": jobProperty, "stream": streamProperty, "offset": ["type": "integer", "minimum": 0, "default": 0], "limit": ["type": "integer", "minimum": 1, "maximum": 1048576, "default": 65536]], required: ["job"]), annotations: .init(title: "Read output", readOnlyHint: true))
        case .tail:
            return Tool(name: name.rawValue, description: "The last N lines of a job's stdout or stderr.", inputSchema: object(["job": jobProperty, "lines": ["type": "integer", "minimum": 1, "maximum": 10000, "default": 50], "stream": streamProperty], required: ["job"]), annotations: .init(title: "Tail output", readOnlyHint: true))
        case .wait:
            return Tool(name: name.rawValue, description: "Block until the listed jobs finish (or the first, with any: true) or timeout seconds pass; reaching the timeout is not an error, the result lists each job's state.", inputSchema: object(["jobs": ["type": "array", "items": jobProperty, "minItems": 1], "timeout": ["type": "number", "default": 30, "minimum": 0, "maximum": 300], "any": ["type": "boolean", "default": false]], required: ["jobs"]), annotations: .init(title: "Wait for jobs", readOnlyHint: true))
        case .list:
            return Tool(name: name.rawValue, description: "Jobs in this spool, newest first, optionally only those in one state.", inputSchema: object(["state": ["type": "string", "enum": ["queued", "running", "succeeded", "failed", "timed_out", "cancelled", "lost"]], "limit": ["type": "integer", "minimum": 1, "maximum": 500, "default": 20]]), annotations: .init(title: "List jobs", readOnlyHint: true))
        case .cancel:
            return Tool(name: name.rawValue, description: "Cancel a job: a queued one is removed from the queue; a running one has its whole process group terminated (TERM, then KILL after a grace period). With session instead of job: close that session after its current command. The result's outcome says which case happened.", inputSchema: object(["job": jobProperty, "session": sessionProperty]), annotations: .init(title: "Cancel a job or session", destructiveHint: true))
        case .promote:
            return Tool(name: name.rawValue, description: "Move a waiting async job to the sync queue (served first), or back with priority: async. A job that already started gets a clear 'already running' error.", inputSchema: object(["job": jobProperty, "priority": ["type": "string", "enum": ["sync", "async"], "default": "sync"]], required: ["job"]), annotations: .init(title: "Change a job's priority"))
        case .sendInput:
            return Tool(name: name.rawValue, description: "Write text to the stdin of a running job started with stdin: \"pipe\" or tty: true; eof: true closes its input afterwards. On a terminal (tty: true): keys presses named keys after data, and cols/rows resize the terminal. Everything is checked before anything is sent.", inputSchema: object(["job": jobProperty, "data": ["type": "string", "description": "Text to write, as is: no Enter is added (include \\n for line-based programs on a pipe, or add keys: [\"Enter\"] on a terminal)."], "keys": ["type": "array", "items": ["type": "string"], "description": .string("Terminal jobs: keys pressed after data, in order: \(TerminalKeys.validNames).")], "cols": ["type": "integer", "minimum": 1, "maximum": 1000, "description": "Terminal jobs: new width (resize; the program gets SIGWINCH)."], "rows": ["type": "integer", "minimum": 1, "maximum": 1000, "description": "Terminal jobs: new height (resize)."], "eof": ["type": "boolean", "default": false]], required: ["job"]), annotations: .init(title: "Send input to a job"))
        case .screen:
            return Tool(name: name.rawValue, description: "The screen of a terminal job (tty: true) as text, once its output has been quiet for settle ms (or it ended, or timeout passed): lines, cursor, title, and state: busy, awaiting_input (it waits for you to type), password_prompt (a line read with echo off), or exited (with exitCode). state is read from the kernel (the terminal's modes and its foreground processes), not guessed from the text.", inputSchema: object(["job": jobProperty, "settle": ["type": "integer", "minimum": 0, "maximum": 60000, "default": 300, "description": "Milliseconds of quiet output to wait for."], "timeout": ["type": "number", "minimum": 0, "maximum": 300, "default": 10, "description": "Seconds to wait at most."]], required: ["job"]), annotations: .init(title: "Read a terminal's screen", readOnlyHint: true))
        case .sessionStart:
            return Tool(name: name.rawValue, description: "Open a persistent shell session (cwd, exported variables and functions persist between commands; it survives worker crashes). Returns the session id, queued with a position when no worker slot is free.", inputSchema: object(["cwd": commandProperties["cwd"]!, "env": commandProperties["env"]!, "shell": ["type": "string", "description": "Absolute path of the shell; default /bin/bash (or /bin/sh)."]]), annotations: .init(title: "Start a session", destructiveHint: true, openWorldHint: true))
        case .sessionEnd:
            return Tool(name: name.rawValue, description: "Close a session after its current command; waiting commands are cancelled.", inputSchema: object(["session": sessionProperty], required: ["session"]), annotations: .init(title: "End a session", destructiveHint: true))
        case .sessionList:
            return Tool(name: name.rawValue, description: "Open sessions with state, cwd, worker, commands run and idle time (all: true includes closed ones).", inputSchema: object(["all": ["type": "boolean", "default": false]]), annotations: .init(title: "List sessions", readOnlyHint: true))
        case .stats:
            return Tool(name: name.rawValue, description: "Queue depth per priority, running jobs, live workers and slots, average waits and run times, ETA for the next sync and async request, and peaks since start.", inputSchema: object([:]), annotations: .init(title: "Queue statistics", readOnlyHint: true))
        case .fileTail:
            return Tool(name: name.rawValue, description: "The last N lines of a file under a watched folder (a log the agent's commands did not write). Follow it live as resource spool://files/<absolute path> or with /events?path=.", inputSchema: object(["path": pathProperty, "lines": ["type": "integer", "minimum": 1, "maximum": 10000, "default": 50]], required: ["path"]), annotations: .init(title: "Tail a watched file", readOnlyHint: true))
        case .fileRead:
            return Tool(name: name.rawValue, description: "Read a file under a watched folder from a byte offset; returns data (or dataBase64 for bytes that are not UTF-8) and nextOffset for the next call, as output does for jobs.", inputSchema: object(["path": pathProperty, "offset": ["type": "integer", "minimum": 0, "default": 0], "limit": ["type": "integer", "minimum": 1, "maximum": 1048576, "default": 65536]], required: ["path"]), annotations: .init(title: "Read a watched file", readOnlyHint: true))
        case .backupList:
            return Tool(name: name.rawValue, description: "Backups of the work tree (--backup), newest first: commit, time, trigger (idle, job, restore) and files changed. They live on refs/spool/backups; your branch, index and stash are never touched.", inputSchema: object(["limit": ["type": "integer", "minimum": 1, "maximum": 500, "default": 20]]), annotations: .init(title: "List backups", readOnlyHint: true))
        case .backupDiff:
            return Tool(name: name.rawValue, description: "What changed in the work tree between a backup (default: the newest) and now: the files, and the patch (at most 256 KiB).", inputSchema: object(["backup": backupProperty]), annotations: .init(title: "Diff against a backup", readOnlyHint: true))
        case .backupRestore:
            return Tool(name: name.rawValue, description: "Bring the whole work tree, or one path (file or folder, absolute or relative to the tree), back to a backup: files are written from it and files it did not have are removed. The current state is backed up first, so the restore itself can be undone.", inputSchema: object(["backup": backupProperty, "path": ["type": "string", "description": "Only this file or folder (absolute, or relative to the work tree); default: the whole tree."]], required: ["backup"]), annotations: .init(title: "Restore from a backup", destructiveHint: true))
        }
    }
}
