import Foundation
@testable import Spool
import Testing

@Suite("Layout and files")
struct SpoolFilesTests {
    @Test("every path of the layout is under the root and named as DESIGN.md says")
    func layout() {
        let layout = SpoolLayout(root: "/srv/spool/")
        let id = JobID("01ARZ3NDEKTSV4RRFFQ69G5FAV")!
        let worker = WorkerName("w1")!
        #expect(layout.root == "/srv/spool")
        #expect(layout.queued(id, .sync) == "/srv/spool/queue/sync/01ARZ3NDEKTSV4RRFFQ69G5FAV.json")
        #expect(layout.queued(id, .async) == "/srv/spool/queue/async/01ARZ3NDEKTSV4RRFFQ69G5FAV.json")
        #expect(layout.active(id, worker: worker) == "/srv/spool/active/w1/01ARZ3NDEKTSV4RRFFQ69G5FAV.json")
        #expect(layout.done(id) == "/srv/spool/done/01ARZ3NDEKTSV4RRFFQ69G5FAV.json")
        #expect(layout.job(id, .stdout) == "/srv/spool/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/stdout")
        #expect(layout.job(id, .status) == "/srv/spool/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/status.json")
        #expect(layout.workerRecord(worker) == "/srv/spool/workers/w1.json")
        #expect(layout.bad == "/srv/spool/bad")
        #expect(SpoolLayout(root: "rel").root.hasPrefix("/"))
    }

    @Test("worker names are limited to file-name-safe characters", arguments: ["", ".", "..", "a/b", "a b", String(repeating: "x", count: 101)])
    func badWorkerNames(_ text: String) {
        #expect(WorkerName(text) == nil)
    }

    @Test("a folder entry's name is read within its record: one that ends where readable memory ends (as readdir's last record may) is read without touching what follows")
    func entryAtTheEndOfMemory() throws {
        // Two pages; the second is made unreadable, and a 24-byte record named "ab" ends
        // exactly where the first page does. Copying a whole `struct dirent` (280 bytes)
        // from it reads into the second page: that crashed spool-mcp once, in the depth
        // benchmark (a segfault in FileSystem.list).
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let memory = try #require(mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        defer { munmap(memory, 2 * page) }
        #expect(mprotect(memory + page, page, PROT_NONE) == 0)
        let length = 24, at = memory + page - length
        memset(at, 0, length)
        let entry = at.bindMemory(to: dirent.self, capacity: 1)
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        at.storeBytes(of: UInt16(length), toByteOffset: MemoryLayout<dirent>.offset(of: \dirent.d_reclen)!, as: UInt16.self)
        for (index, byte) in Array("ab".utf8).enumerated() { at.storeBytes(of: byte, toByteOffset: nameOffset + index, as: UInt8.self) }
        #expect(FileSystem.entryName(entry) == "ab")
    }

    @Test("atomic writes leave the complete file and nothing in tmp/")
    func atomicWrite() throws {
        let spool = try ScratchSpool()
        let path = spool.layout.root + "/file.json"
        try AtomicFile.write(Array("first\n".utf8), to: path, layout: spool.layout)
        let big = [UInt8](repeating: 65, count: 3 << 20)
        try AtomicFile.write(big, to: path, layout: spool.layout, durable: false)
        #expect(try FileSystem.read(path) == big)
        #expect(FileSystem.list(spool.layout.tmp).isEmpty)
    }

    @Test("reads give a file's bytes whole, from an offset, up to a limit, and refuse one over the limit", arguments: [0, 1, 4095, 65536, 65537, 200_000])
    func reads(size: Int) throws {
        let spool = try ScratchSpool()
        let path = spool.layout.root + "/file"
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        #expect(try FileSystem.read(path) == bytes)
        #expect(try FileSystem.read(path, offset: 0, limit: size + 10) == bytes)
        #expect(try FileSystem.read(path, offset: Int64(size / 2), limit: 1 << 20) == Array(bytes[(size / 2)...]))
        #expect(try FileSystem.read(path, offset: 1, limit: 3) == Array(bytes.dropFirst().prefix(3)))
        #expect(try FileSystem.read(path, offset: Int64(size) + 5, limit: 10) == [])
        #expect(try FileSystem.read(path, limit: size) == bytes)
        if size > 0 {
            #expect(throws: SpoolError.self) { try FileSystem.read(path, limit: size - 1) }
        }
        #expect(try FileSystem.read(spool.layout.root + "/missing") == nil)
    }

    @Test("concurrent readers never see a partial file")
    func readersSeeWholeFiles() async throws {
        let spool = try ScratchSpool()
        let path = spool.layout.root + "/status.json"
        let layout = spool.layout
        let a = [UInt8](repeating: 97, count: 200_000), b = [UInt8](repeating: 98, count: 100_000)
        try AtomicFile.write(a, to: path, layout: layout)
        let torn = await withTaskGroup(of: Int.self) { group in
            group.addTask {
                for i in 0..<200 { try? AtomicFile.write(i % 2 == 0 ? b : a, to: path, layout: layout, durable: false) }
                return 0
            }
            group.addTask {
                var torn = 0
                for _ in 0..<2000 {
                    if let bytes = try? FileSystem.read(path), bytes != a && bytes != b { torn += 1 }
                }
                return torn
            }
            return await group.reduce(0, +)
        }
        #expect(torn == 0)
    }

    @Test("a minimal hand-written request decodes with defaults from its location")
    func minimalRequest() throws {
        let spool = try ScratchSpool()
        let id = JobID.make()
        let path = spool.layout.queued(id, .sync)
        try Data("{\"command\":\"ls\"}".utf8).write(to: URL(fileURLWithPath: path))
        let request = try JobRequest.load(path: path, defaults: RequestDefaults(job: id, priority: .sync))
        #expect(request.job == id)
        #expect(request.priority == .sync)
        #expect(request.command == "ls")
        #expect(request.createdAt == id.createdAt)
    }

    @Test("unreadable requests say what is wrong", arguments: [
        ("{\"command\":", "not valid JSON"), ("{}", "'command' is missing"), ("{\"command\":1}", "field 'command' has the wrong type"),
        ("[1,2]", "wrong type"),
    ])
    func corruptRequest(_ content: String, _ message: String) throws {
        let spool = try ScratchSpool()
        let id = JobID.make()
        let path = spool.layout.queued(id, .async)
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try JobRequest.load(path: path, defaults: RequestDefaults(job: id, priority: .async))
            Issue.record("decoded \(content)")
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test("problems in a request are found before it runs")
    func requestProblems() {
        #expect(JobRequest(command: "", priority: .sync).problem != nil)
        #expect(JobRequest(command: String(repeating: "x", count: 200_000), priority: .sync).problem?.contains("131071") == true)
        #expect(JobRequest(command: "ls", cwd: "relative", priority: .sync).problem != nil)
        #expect(JobRequest(command: "ls", timeout: -1, priority: .sync).problem != nil)
        #expect(JobRequest(command: "ls", env: ["A=B": "x"], priority: .sync).problem != nil)
        #expect(JobRequest(command: "ls", cwd: "/tmp", priority: .sync).problem == nil)
    }
}
