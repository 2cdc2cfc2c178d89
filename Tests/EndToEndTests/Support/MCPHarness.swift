import Foundation
import ProcessHarness
import Logging
import MCP
import Spool
import SystemPackage

/// spool-mcp as a real child process, driven by the swift-sdk `Client` over its stdio.
final class MCPHarness: @unchecked Sendable {
    let spool: TestSpool
    let process: ChildProcess
    let client: Client

    init(spool: TestSpool, workers: Int, extra: [String] = [], environment: [String: String] = [:]) async throws {
        self.spool = spool
        process = try spool.startFrontend(workers: workers, extra: extra, environment: environment)
        let transport = EOFSafeTransport(input: process.stdoutFD!, output: process.stdinFD!)
        client = Client(name: "spool-tests", version: "1.0")
        _ = try await client.connect(transport: transport)
    }

    /// Calls a tool and returns the whole result (structured content included).
    func call(_ name: String, _ arguments: [String: Value] = [:]) async throws -> CallTool.Result {
        let context: RequestContext<CallTool.Result> = try await client.callTool(name: name, arguments: arguments)
        return try await context.value
    }

    /// Calls a tool with a progress token and collects the progress notifications.
    func callWithProgress(_ name: String, _ arguments: [String: Value]) async throws -> (CallTool.Result, [ProgressNotification.Parameters]) {
        try await progressCall(name, arguments, token: "p1", expected: 0, settle: 0)
    }

    /// Like `callWithProgress`, then waits up to `settle` seconds until at least `expected`
    /// notifications have been handled: the client hands them to their handler in tasks of
    /// their own, which a busy test process may run after the result.
    func callWithProgress(_ name: String, _ arguments: [String: Value], expecting expected: Int, settle: Double = 10) async throws -> (CallTool.Result, Int) {
        let (result, notes) = try await progressCall(name, arguments, token: "p2", expected: expected, settle: settle)
        return (result, notes.count)
    }

    private func progressCall(_ name: String, _ arguments: [String: Value], token: String, expected: Int,
                              settle: Double) async throws -> (CallTool.Result, [ProgressNotification.Parameters]) {
        let collected = ProgressLog()
        _ = await client.onNotification(ProgressNotification.self) { message in
            await collected.append(message.params)
        }
        let context: RequestContext<CallTool.Result> = try await client.callTool(
            name: name, arguments: arguments, meta: Metadata(progressToken: .string(token)))
        let result = try await context.value
        let deadline = Date().addingTimeInterval(settle)
        while await collected.items.count < expected && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return (result, await collected.items)
    }

    /// Collects `notifications/message` (log) notices from now on.
    func collectNotices() async -> NoticeLog {
        let log = NoticeLog()
        _ = await client.onNotification(LogMessageNotification.self) { message in
            await log.append(message.params.data)
        }
        return log
    }

    func close() async {
        await client.disconnect()
    }
}

extension CallTool.Result {
    var structured: [String: Value] {
        if case .object(let object)? = structuredContent { return object }
        return [:]
    }

    subscript(_ key: String) -> Value? { structured[key] }

    var text: String {
        content.compactMap { if case .text(let text, _, _) = $0 { text } else { nil } }.joined(separator: "\n")
    }
}

actor NoticeLog {
    var items: [Value] = []
    func append(_ item: Value) { items.append(item) }
}

actor ProgressLog {
    var items: [ProgressNotification.Parameters] = []
    func append(_ item: ProgressNotification.Parameters) { items.append(item) }
}

/// Runs `body` with a fresh spool and spool-mcp (`workers` of its own), and always cleans
/// up: processes killed, jobs' process groups stopped, folder removed, also when the
/// test fails half-way.
func withMCP<T>(workers: Int, extra: [String] = [], _ body: (TestSpool, MCPHarness) async throws -> T) async throws -> T {
    try await withSpool { spool in
        let mcp = try await MCPHarness(spool: spool, workers: workers, extra: extra)
        defer { Task { await mcp.close() } }
        return try await body(spool, mcp)
    }
}

/// Runs `body` with a fresh spool (no processes yet) and always cleans up.
func withSpool<T>(_ body: (TestSpool) async throws -> T) async throws -> T {
    let spool = try TestSpool()
    do {
        let result = try await body(spool)
        await spool.cleanup()
        return result
    } catch {
        await spool.cleanup()
        throw error
    }
}
