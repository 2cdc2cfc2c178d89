import CSpoolSpawn
import Foundation
import Glibc
import Spool
import Testing
@testable import Worker

@Suite("PipeReader", .timeLimit(.minutes(1)))
struct PipeReaderTests {
    /// What this process's open descriptors are ("pipe:[inode]" for a pipe): other tests
    /// open and close descriptors meanwhile, so pipes are told apart by their inodes.
    static func openFiles() -> Set<String> {
        Set(FileSystem.list("/proc/self/fd").compactMap { FileSystem.linkTarget("/proc/self/fd/" + $0) })
    }

    static func pipeName(_ fd: Int32) -> String? { FileSystem.linkTarget("/proc/self/fd/\(fd)") }

    @Test("many pipes at once: each stream gets its own bytes, in order, and ends at its end of file; every read end is closed")
    func manyPipes() async throws {
        let pipes = 300
        var writeEnds: [Int32] = []
        var names: Set<String> = []
        var streams: [AsyncStream<[UInt8]>] = []
        for _ in 0..<pipes {
            var ends: [Int32] = [-1, -1]
            #expect(spool_pipe_cloexec(&ends) == 0)
            if let name = Self.pipeName(ends[0]) { names.insert(name) }
            streams.append(PipeReader.chunks(ends[0]))
            writeEnds.append(ends[1])
        }
        // Two writes each, then the end of file.
        for (index, fd) in writeEnds.enumerated() {
            let first = Array("\(index) ".utf8)
            #expect(write(fd, first, first.count) == first.count)
        }
        for fd in writeEnds {
            let second = Array("of \(pipes)\n".utf8)
            #expect(write(fd, second, second.count) == second.count)
            close(fd)
        }
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, stream) in streams.enumerated() {
                group.addTask {
                    var text: [UInt8] = []
                    for await chunk in stream { text += chunk }
                    return (index, String(decoding: text, as: UTF8.self))
                }
            }
            for try await (index, text) in group {
                #expect(text == "\(index) of \(pipes)\n")
            }
        }
        #expect(names.count == pipes)
        // Each read end closed by the reader at its end of file.
        let leftOpen = Self.openFiles().intersection(names).count
        #expect(leftOpen == 0, "\(leftOpen) read ends left open")
    }

    @Test("a pipe whose writer has nothing to say ends at once with no chunk")
    func emptyPipe() async {
        var ends: [Int32] = [-1, -1]
        #expect(spool_pipe_cloexec(&ends) == 0)
        let stream = PipeReader.chunks(ends[0])
        close(ends[1])
        var chunks = 0
        for await _ in stream { chunks += 1 }
        #expect(chunks == 0)
    }

    @Test("a descriptor epoll refuses (a regular file) is still read to its end, on a thread of its own, and closed")
    func refusedByEpoll() async throws {
        let path = FileManager.default.temporaryDirectory.path + "/pipe-reader-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        let text = String(repeating: "line of text\n", count: 1000)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        #expect(fd >= 0)
        let name = Self.pipeName(fd)
        var bytes: [UInt8] = []
        for await chunk in PipeReader.chunks(fd) { bytes += chunk }
        #expect(String(decoding: bytes, as: UTF8.self) == text)
        #expect(name == nil || !Self.openFiles().contains(name!), "the file is still open")
    }
}
