import Foundation
import ProcessHarness
import Testing

/// Debian's chromium, headless, as a person's browser: the page's scripts run, and the
/// DOM they built is read back (`--dump-dom`) or drawn (`--screenshot`). Virtual time lets
/// the page's fetches and timers run for `budget` ms, then the result is taken.
enum HeadlessBrowser {
    static let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func arguments(budget: Int, profile: String) -> [String] {
        ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,800",
         "--virtual-time-budget=\(budget)", "--user-data-dir=" + profile]
    }

    /// Runs chromium with a profile of its own, removed afterwards.
    static func run(_ extra: [String], budget: Int, stdout: String) async throws {
        let binary = try #require(binary, "chromium is not installed: scripts/ensure-dependencies --tests installs it")
        let profile = NSTemporaryDirectory() + "spool-chromium-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let child = try ChildProcess(binary, arguments(budget: budget, profile: profile) + extra, stdoutPath: stdout, stderrPath: "/dev/null")
        let finished = await child.wait(timeout: 60) != nil
        // Its helper processes (zygote, GPU, renderers) are in its group: none outlives it.
        await child.killGroup()
        guard finished else { throw BrowserError(description: "chromium did not finish within 60 s") }
    }

    /// The DOM after the page ran for `budget` ms of virtual time.
    static func dom(_ url: String, budget: Int = 3000) async throws -> String {
        let out = NSTemporaryDirectory() + "spool-dom-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).html"
        defer { try? FileManager.default.removeItem(atPath: out) }
        try await run(["--dump-dom", url], budget: budget, stdout: out)
        return FileManager.default.contents(atPath: out).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// A PNG of the page after `budget` ms, written to `path`.
    static func screenshot(_ url: String, to path: String, budget: Int = 3000) async throws {
        try await run(["--screenshot=" + path, url], budget: budget, stdout: "/dev/null")
    }

    struct BrowserError: Error, CustomStringConvertible {
        var description: String
    }
}
