import Foundation
import Glibc
import MCP
import Spool
import Testing

/// ext4 flushes a file at its last close when it was truncated to empty since it was opened
/// or cached ("auto_da_alloc", on by default), the heuristic for programs that rewrite a
/// file in place. Spares are emptied by truncation, so without care every job's request,
/// status and the keeper's reserve went to the disk as it was closed: three block writes per job,
/// a flush no promise needs. ext4 does the same for a file renamed over another (a final
/// status over the running one). The kernel's own trace point (`ext4_alloc_da_blocks`, with the
/// delayed blocks the close found) says whether it happened; no system call shows it.
@Suite("No flush at close", .timeLimit(.minutes(2)))
struct CloseFlushTests {
    @Test("a run in a spool with spares leaves its request, status, keeper's reserve and output to writeback: ext4 flushes none of them at close, nor a final status that replaces a running one")
    func sparesAreNotFlushedAtClose() async throws {
        try await withSpool { spool in
            #expect(Self.isExt4(spool.root), "this test needs the spool on ext4 (the root file system here): \(spool.root)")
            let trace = try KernelTrace(event: "ext4/ext4_alloc_da_blocks")
            defer { trace.remove() }
            for result in try await spool.retireIntoSpares((0..<4).map { "echo old \($0)" }) {
                #expect(result["exitCode"] == 0)
            }
            // Retention keeps the new jobs for days: none of their files is emptied (and
            // closed) by it while the trace runs.
            let mcp = try await MCPHarness(spool: spool, workers: 1)
            try trace.start()
            var ids: [JobID] = []
            // Two short jobs, and one that runs long enough (20 ms) for a running status,
            // which its final status then replaces.
            for command in ["echo new 1", "echo new 2", "sleep 0.2; echo new 3"] {
                let result = try await mcp.call("run", ["command": .string(command)])
                #expect(result["exitCode"] == 0)
                ids.append(try #require(JobID(result["job"]?.stringValue ?? "")))
            }
            // Their inodes, before retention can take them again (made before the trace
            // began, so no other file of this file system had their numbers meanwhile).
            var inodes: [UInt64: String] = [:]
            var device = ""
            for id in ids {
                // The keeper's reserve holds its note of the start; its record went to the worker.
                for path in [spool.layout.job(id, .status), spool.layout.job(id, .exitReserve), spool.layout.job(id, .stdout), spool.layout.done(id)] {
                    var info = stat()
                    if stat(path, &info) == 0 {
                        inodes[UInt64(info.st_ino)] = path
                        device = DelayedBlocks.device(UInt64(info.st_dev))
                    }
                }
            }
            #expect(inodes.count == 4 * ids.count, "not every file of the three jobs was found: \(inodes.values.sorted())")
            await mcp.close()
            // Every close has happened once no process holds one of these files open.
            let paths = Set(inodes.values)
            #expect(await eventually(timeout: 20) { Self.openers(of: paths).isEmpty },
                    "processes still hold job files open: \(Self.openers(of: paths))")
            let flushed = try trace.lines().compactMap(DelayedBlocks.init).filter { $0.blocks > 0 && $0.device == device && inodes[$0.inode] != nil }
            #expect(flushed.isEmpty, "ext4 flushed at close: \(flushed.map { inodes[$0.inode]! })")
        }
    }

    @Test("a worker's heartbeat replaces its record without ext4 flushing it (an exchange, not a rename over it)")
    func heartbeatIsNotFlushed() async throws {
        try await withSpool { spool in
            #expect(Self.isExt4(spool.root), "this test needs the spool on ext4 (the root file system here): \(spool.root)")
            let trace = try KernelTrace(event: "ext4/ext4_alloc_da_blocks")
            defer { trace.remove() }
            try trace.start()
            _ = try spool.startWorker(id: "w")
            let record = spool.layout.workerRecord(WorkerName("w")!)
            // Each heartbeat puts a new file in place: three records after the first.
            var inodes: [UInt64] = []
            var device = ""
            #expect(await eventually(timeout: 30) {
                var info = stat()
                if stat(record, &info) == 0, inodes.last != UInt64(info.st_ino) {
                    inodes.append(UInt64(info.st_ino))
                    device = DelayedBlocks.device(UInt64(info.st_dev))
                }
                return inodes.count >= 4
            }, "the worker's record was replaced \(inodes.count - 1) times")
            // A rename over the record flushes the new file inside the rename itself, so
            // the trace has it by now.
            let replaced = Set(inodes.dropFirst())
            let flushed = try trace.lines().compactMap(DelayedBlocks.init).filter { $0.blocks > 0 && $0.device == device && replaced.contains($0.inode) }
            #expect(flushed.isEmpty, "ext4 flushed the worker's record \(flushed.count) times")
        }
    }

    /// One `ext4_alloc_da_blocks` line: "... dev 254,0 ino 1234 reserved_data_blocks 1".
    struct DelayedBlocks {
        /// "major,minor", as the trace prints it.
        var device: String
        var inode: UInt64
        var blocks: Int

        init?(_ line: Substring) {
            let words = line.split(separator: " ")
            guard let dev = words.firstIndex(of: "dev"), let ino = words.firstIndex(of: "ino"),
                  let reserved = words.firstIndex(of: "reserved_data_blocks"),
                  dev + 1 < words.count, ino + 1 < words.count, reserved + 1 < words.count,
                  let inode = UInt64(words[ino + 1]), let blocks = Int(words[reserved + 1]) else { return nil }
            device = String(words[dev + 1])
            self.inode = inode
            self.blocks = blocks
        }

        /// `st_dev` as "major,minor" (glibc's encoding; the kernel prints its own numbers).
        static func device(_ dev: UInt64) -> String {
            let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff)
            let minor = (dev & 0xff) | ((dev >> 12) & ~0xff)
            return "\(major),\(minor)"
        }
    }

    /// Whether `path` is on ext4 (its magic number, as `stat -f` reads it: Glibc's module
    /// does not export statfs).
    static func isExt4(_ path: String) -> Bool {
        let stat = Process()
        stat.executableURL = URL(fileURLWithPath: "/usr/bin/stat")
        stat.arguments = ["-f", "-c", "%t", path]
        let out = Pipe()
        stat.standardOutput = out
        guard (try? stat.run()) != nil else { return false }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        stat.waitUntilExit()
        return text.trimmingCharacters(in: .whitespacesAndNewlines) == "ef53"
    }

    /// Processes with a descriptor on one of `paths` (by the name the kernel shows for it).
    static func openers(of paths: Set<String>) -> [String] {
        var found: [String] = []
        for pid in FileSystem.list("/proc") where Int(pid) != nil {
            for fd in FileSystem.list("/proc/\(pid)/fd") {
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) ?? ""
                if paths.contains(target) { found.append("\(pid): \(target)") }
            }
        }
        return found
    }
}

/// A private ftrace instance with one event enabled, so that tests running beside it (and
/// anybody else tracing) neither see nor disturb its buffer.
struct KernelTrace {
    let folder: String
    let event: String
    /// Where this test mounted tracefs itself (a fresh machine need not have it mounted at
    /// /sys/kernel/tracing); unmounted by `remove`.
    let mountPoint: String?

    init(event: String) throws {
        var base = "/sys/kernel/tracing"
        var mounted: String?
        if !FileSystem.exists(base + "/instances") {
            var template = Array((NSTemporaryDirectory() + "spool-tracefs-XXXXXX").utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) }) else {
                throw TraceError.unavailable("cannot make a folder to mount tracefs on (\(String(cString: strerror(errno))))")
            }
            guard mount("nodev", made, "tracefs", 0, nil) == 0 else {
                let reason = String(cString: strerror(errno))
                rmdir(made)
                throw TraceError.unavailable("cannot mount tracefs on \(made) (\(reason)): the test needs root and tracefs")
            }
            base = made
            mounted = made
        }
        mountPoint = mounted
        folder = base + "/instances/spool-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        self.event = event
        guard mkdir(folder, 0o755) == 0 else {
            let reason = String(cString: strerror(errno))
            Self.unmount(mounted)
            throw TraceError.unavailable("cannot make the trace instance \(folder) (\(reason)): the test needs root and tracefs")
        }
    }

    private static func unmount(_ mountPoint: String?) {
        guard let mountPoint else { return }
        umount2(mountPoint, 0)
        rmdir(mountPoint)
    }

    func start() throws {
        guard Self.put("1", folder + "/events/" + event + "/enable") else {
            throw TraceError.unavailable("cannot enable \(event) in \(folder) (\(String(cString: strerror(errno))))")
        }
    }

    func lines() throws -> [Substring] {
        try String(contentsOfFile: folder + "/trace", encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
    }

    func remove() {
        _ = Self.put("0", folder + "/events/" + event + "/enable")
        rmdir(folder)
        Self.unmount(mountPoint)
    }

    /// Writes a control file in place (tracefs takes no temporary file and rename).
    private static func put(_ text: String, _ path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == text.utf8.count
    }

    enum TraceError: Error { case unavailable(String) }
}
