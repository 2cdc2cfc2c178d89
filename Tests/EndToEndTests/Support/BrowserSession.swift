import Foundation
import Glibc
import ProcessHarness
import Testing

/// Headless chromium driven through the DevTools protocol over `--remote-debugging-pipe`
/// (commands on its fd 3, answers on its fd 4, each a JSON message ended by NUL), with
/// two FIFOs as those descriptors: a page is opened, its JavaScript evaluated, its buttons
/// clicked, as a person would.
final class BrowserSession: @unchecked Sendable {
    private let child: ChildProcess
    private let folder: String
    private let commands: Int32
    private let answers: Int32
    private var buffer: [UInt8] = []
    private var nextID = 0
    private var session = ""

    init(url: String) async throws {
        let binary = try #require(HeadlessBrowser.binary, "chromium is not installed: scripts/ensure-dependencies --tests installs it")
        folder = NSTemporaryDirectory() + "spool-cdp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        guard mkfifo(folder + "/in", 0o600) == 0, mkfifo(folder + "/out", 0o600) == 0 else { throw HeadlessBrowser.BrowserError(description: "mkfifo: \(errno)") }
        // Our read end first (it does not wait for a writer), so the shell's open of the write end goes through.
        answers = open(folder + "/out", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        let arguments = HeadlessBrowser.arguments(budget: 0, profile: folder + "/profile").filter { !$0.hasPrefix("--virtual-time-budget") }
            + ["--remote-debugging-pipe", "about:blank"]
        let quoted = ([binary] + arguments).map { "'\($0)'" }.joined(separator: " ")
        child = try ChildProcess("/bin/sh", ["-c", "exec \(quoted) 3<'\(folder)/in' 4>'\(folder)/out'"], stdoutPath: "/dev/null", stderrPath: "/dev/null")
        // The shell opens `in` for reading once a writer comes: ours, non-blocking, retried
        // until the reader is there (ENXIO before).
        var fd: Int32 = -1
        let deadline = Date().addingTimeInterval(20)
        while fd < 0 && Date() < deadline {
            fd = open(folder + "/in", O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if fd < 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        commands = fd
        guard commands >= 0, answers >= 0 else { throw HeadlessBrowser.BrowserError(description: "chromium did not open its DevTools pipe") }
        _ = fcntl(commands, F_SETFL, fcntl(commands, F_GETFL) & ~O_NONBLOCK)
        let target = try await send("Target.createTarget", ["url": url])
        let targetID = try #require(target["targetId"] as? String)
        let attached = try await send("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        session = try #require(attached["sessionId"] as? String)
    }

    /// Sends one command (in the page's session once attached) and returns its result.
    @discardableResult
    func send(_ method: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
        nextID += 1
        var message: [String: Any] = ["id": nextID, "method": method, "params": params]
        if !session.isEmpty { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message)) + [0]
        while !bytes.isEmpty {
            let sent = write(commands, bytes, bytes.count)
            guard sent > 0 else { throw HeadlessBrowser.BrowserError(description: "the DevTools pipe closed") }
            bytes.removeFirst(sent)
        }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            while let end = buffer.firstIndex(of: 0) {
                let text = Data(buffer[..<end])
                buffer.removeFirst(end + 1)
                guard let answer = (try? JSONSerialization.jsonObject(with: text)) as? [String: Any],
                      answer["id"] as? Int == nextID else { continue } // events and other answers
                if let error = answer["error"] { throw HeadlessBrowser.BrowserError(description: "\(method): \(error)") }
                return answer["result"] as? [String: Any] ?? [:]
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(answers, &chunk, chunk.count)
            if n > 0 { buffer += chunk[..<n] } else { try await Task.sleep(for: .milliseconds(10)) }
        }
        throw HeadlessBrowser.BrowserError(description: "\(method): no answer within 30 s")
    }

    /// The value of a JavaScript expression in the page (awaited when it is a promise).
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Waits until `expression` is true in the page, up to `timeout` seconds; how long it took, or nil.
    func until(_ expression: String, timeout: Double = 10) async throws -> Double? {
        let started = Date()
        while Date().timeIntervalSince(started) < timeout {
            if try await evaluate(expression) as? Bool == true { return Date().timeIntervalSince(started) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// A session on `url` for `body`, closed afterwards whatever happens.
    static func with<T>(_ url: String, _ body: (BrowserSession) async throws -> T) async throws -> T {
        let browser = try await BrowserSession(url: url)
        do {
            let result = try await body(browser)
            await browser.close()
            return result
        } catch {
            await browser.close()
            throw error
        }
    }

    func close() async {
        Glibc.close(commands)
        Glibc.close(answers)
        _ = await child.wait(timeout: 10)
        await child.killGroup()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
