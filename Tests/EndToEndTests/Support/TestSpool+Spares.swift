import Glibc
import MCP
import Spool
import Testing

extension TestSpool {
    /// Runs `commands` (one worker, the default retention of days), then retires them into
    /// spares (`tmp/spare/`) with a worker of its own (`SPOOL_RETAIN=1`), stopped again once
    /// they are. So the next jobs start in retired ones' inodes, and no retention takes
    /// them while the test looks at them. Returns the runs' results.
    func retireIntoSpares(_ commands: [String]) async throws -> [CallTool.Result] {
        let mcp = try await MCPHarness(spool: self, workers: 1)
        var results: [CallTool.Result] = []
        for command in commands {
            results.append(try await mcp.call("run", ["command": .string(command)]))
        }
        await mcp.close()
        mcp.process.endInput()
        #expect(await mcp.process.wait(timeout: 60) != nil, "spool-mcp did not end after its input ended")
        let retiring = try startWorker(id: "retire", environment: ["SPOOL_RETAIN": "1"])
        #expect(await eventually(timeout: 60) {
            FileSystem.list(layout.done).isEmpty
                && FileSystem.list(layout.spare).filter { $0.hasSuffix(".job") }.count == commands.count
        }, "the jobs were not retired into spares")
        retiring.signal(SIGTERM)
        #expect(await retiring.wait(timeout: 30) != nil, "the retiring worker did not stop")
        return results
    }
}
