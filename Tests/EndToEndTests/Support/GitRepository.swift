import Foundation

/// A real git repository in a temporary folder, driven with the `git` program, as a user
/// would: for tests of backups.
final class GitRepository: @unchecked Sendable {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "spool-repo-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath().path
        try git("init", "-q", "-b", "main")
        try git("config", "user.name", "Test User")
        try git("config", "user.email", "test@example.com")
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Runs git in the repository; returns its output, trimmed. A failure throws with git's message.
    @discardableResult
    func git(_ arguments: String...) throws -> String {
        try run(arguments)
    }

    func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", path] + arguments
        // The test's own `git status` must not refresh the index it compares.
        process.environment = ProcessInfo.processInfo.environment.merging(["GIT_OPTIONAL_LOCKS": "0"]) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GitFailure(description: "git \(arguments.joined(separator: " ")): \(String(decoding: message, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct GitFailure: Error, CustomStringConvertible { var description: String }

    func write(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Writes `files` (relative path → text) and commits everything as `message`.
    func commit(_ files: KeyValuePairs<String, String>, message: String) throws {
        for (relative, text) in files { try write(relative, text) }
        try git("add", "-A")
        try git("commit", "-q", "-m", message)
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: path + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path + "/" + relative) }

    /// What the user's git state is: branch, HEAD, index, staged diff, stash.
    func userState() throws -> [String] {
        let index = FileManager.default.contents(atPath: path + "/.git/index") ?? Data()
        return [try git("symbolic-ref", "HEAD"), try git("rev-parse", "HEAD"), try git("diff", "--cached"),
                try git("stash", "list"), "index bytes: \(index.count) hash: \(index.hashValue)", try git("status", "--porcelain")]
    }
}
