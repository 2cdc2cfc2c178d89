import Foundation
import Spool
import Testing

/// `WatchRoots`: which paths an agent may read, on real folders, symlinks and FIFOs.
@Suite("Watched roots")
struct WatchRootsTests {
    /// A scratch folder with `root/`, a sibling `root-secrets/` and an `outside/` file.
    final class Scratch {
        let base: String
        var root: String { base + "/root" }
        init() throws {
            var template = Array((NSTemporaryDirectory() + "spool-roots-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
            base = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath().path
            for folder in ["root/logs", "root-secrets", "outside"] {
                try FileManager.default.createDirectory(atPath: base + "/" + folder, withIntermediateDirectories: true)
            }
            FileManager.default.createFile(atPath: base + "/root/logs/app.log", contents: Data("hello\n".utf8))
            FileManager.default.createFile(atPath: base + "/root-secrets/key", contents: Data("secret".utf8))
            FileManager.default.createFile(atPath: base + "/outside/passwd", contents: Data("x".utf8))
        }
        deinit { try? FileManager.default.removeItem(atPath: base) }
    }

    @Test("a file inside a root opens, by absolute path and relative to the first root")
    func inside() throws {
        let scratch = try Scratch()
        let roots = try WatchRoots([scratch.root], workingDirectory: "/")
        #expect(try roots.open(scratch.root + "/logs/app.log").read(offset: 0, limit: 100) == Array("hello\n".utf8))
        #expect(try roots.open("logs/app.log").realPath == scratch.root + "/logs/app.log")
    }

    @Test("escapes are refused: .., a symlink out, /proc/self/root, a sibling sharing the prefix")
    func escapes() throws {
        let scratch = try Scratch()
        let roots = try WatchRoots([scratch.root], workingDirectory: "/")
        try FileManager.default.createSymbolicLink(atPath: scratch.root + "/out", withDestinationPath: scratch.base + "/outside/passwd")
        try FileManager.default.createSymbolicLink(atPath: scratch.root + "/slash", withDestinationPath: "/proc/self/root")
        for path in [scratch.root + "/../outside/passwd", "../outside/passwd", scratch.root + "/out", scratch.root + "/slash/etc/passwd",
                     "/proc/self/root/etc/passwd", scratch.base + "/root-secrets/key", "/etc/passwd"] {
            #expect(throws: WatchedPathError.self, "\(path)") { try roots.open(path) }
            do { _ = try roots.open(path) } catch {
                guard case .outsideRoots = error else { Issue.record("\(path): \(error)"); continue }
            }
        }
        // A missing file outside is "outside" too: existence out there is not revealed.
        for path in [scratch.base + "/outside/nope", "../outside/nope", "logs/missing/../../../outside/nope", "/no/such/file"] {
            do { _ = try roots.open(path); Issue.record("\(path) opened") } catch {
                guard case .outsideRoots = error else { Issue.record("\(path): \(error)"); continue }
            }
        }
        // A symlink that stays inside is fine.
        try FileManager.default.createSymbolicLink(atPath: scratch.root + "/current.log", withDestinationPath: "logs/app.log")
        #expect(try roots.open(scratch.root + "/current.log").realPath == scratch.root + "/logs/app.log")
    }

    @Test("FIFOs, devices and folders are refused without being opened")
    func notRegular() throws {
        let scratch = try Scratch()
        let roots = try WatchRoots([scratch.root], workingDirectory: "/")
        #expect(mkfifo(scratch.root + "/pipe", 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: scratch.root + "/null", withDestinationPath: "/dev/null")
        do { _ = try roots.open(scratch.root + "/pipe"); Issue.record("a FIFO opened") } catch {
            #expect(error == .notRegularFile(path: scratch.root + "/pipe", kind: "FIFO"))
        }
        do { _ = try roots.open(scratch.root + "/logs"); Issue.record("a folder opened") } catch {
            #expect(error == .notRegularFile(path: scratch.root + "/logs", kind: "folder"))
        }
        // /dev/null is outside the root before it is a device.
        #expect(throws: WatchedPathError.self) { try roots.open(scratch.root + "/null") }
        let devRoots = try WatchRoots(["/dev"], workingDirectory: "/")
        do { _ = try devRoots.open("/dev/null"); Issue.record("a device opened") } catch {
            #expect(error == .notRegularFile(path: "/dev/null", kind: "device"))
        }
    }

    @Test("missing files, bad paths and bad roots get errors that say what to do")
    func badInput() throws {
        let scratch = try Scratch()
        let roots = try WatchRoots([scratch.root], workingDirectory: "/")
        #expect(throws: WatchedPathError.notFound(path: "nope.log")) { try roots.open("nope.log") }
        #expect(throws: WatchedPathError.invalid(path: "", reason: "it is empty")) { try roots.open("") }
        #expect(throws: WatchedPathError.self) { try roots.open("a\u{0}b") }
        #expect(throws: WatchedPathError.noRoots) { try WatchRoots([], workingDirectory: "/").open("/etc/passwd") }
        #expect(throws: WatchedPathError.self) { try WatchRoots([scratch.base + "/missing"], workingDirectory: "/") }
        #expect(throws: WatchedPathError.self) { try WatchRoots([scratch.root + "/logs/app.log"], workingDirectory: "/") }
        // A log that is not written yet may be followed; one outside may not.
        #expect(try roots.resolveForFollowing("logs/later.log") == scratch.root + "/logs/later.log")
        #expect(throws: WatchedPathError.self) { try roots.resolveForFollowing(scratch.base + "/outside/later.log") }
    }
}
