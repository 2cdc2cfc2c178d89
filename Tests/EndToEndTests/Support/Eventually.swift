import Foundation
import Spool

/// Waits until `condition` holds or `timeout` seconds pass (tests only: they observe the
/// spool from outside, so they poll; the product itself is woken by inotify).
func eventually(timeout: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(25))
    }
    return try await condition()
}

extension TestSpool {
    /// The keeper's note of job `id`'s start (`jobs/<id>/.exit.json.tmp`), once it is there
    /// (within `timeout` seconds); nil if it never came.
    func keeperNote(_ id: JobID, timeout: Double) async -> KeeperStart? {
        var note: KeeperStart?
        _ = await eventually(timeout: timeout) {
            note = JobRecords(layout: layout).keeperStart(id)
            return note != nil
        }
        return note
    }

    /// A command that blocks until `release(name)` is called: a job that holds a slot for
    /// exactly as long as a test needs.
    func blocker(_ name: String) -> String {
        "while [ ! -e '\(root)/../\(name)' ]; do sleep 0.02; done"
    }

    func release(_ name: String) {
        FileManager.default.createFile(atPath: root + "/../" + name, contents: nil)
    }

    /// A command that appends `name` to the test's order file when it runs.
    func mark(_ name: String) -> String { "echo \(name) >> '\(root)/../order'" }
    var order: [String] { (read(root + "/../order") ?? "").split(separator: "\n").map(String.init) }
}
