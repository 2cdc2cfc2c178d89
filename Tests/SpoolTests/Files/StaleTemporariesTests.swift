import Foundation
import Glibc
import Spool
import Testing

@Suite("What stopped writers leave in tmp/")
struct StaleTemporariesTests {
    typealias Entry = StaleTemporaries.Entry

    @Test("names: AtomicFile's <pid>-<n>.tmp and retention's retired-<id>.json, nothing else (a spare, a job's own files)")
    func names() throws {
        let id = JobID.make()
        #expect(Entry(name: "123-4.tmp") == .written(writer: 123))
        #expect(Entry(name: "retired-" + id.fileName) == .retired(id))
        for other in ["spare", "123.tmp", "-4.tmp", "0-4.tmp", "12-x.tmp", "12-4-5.tmp", "12-4.json", "retired-nonsense", ".exit.json.tmp"] {
            #expect(Entry(name: other) == nil, "\(other)")
        }
    }

    @Test("stale: only a minute after its last change, and a written one only when its writer is gone")
    func decision() {
        let id = JobID.make()
        let alive: (Int32) -> Bool = { $0 == 7 }
        #expect(!StaleTemporaries.isStale(.written(writer: 8), age: 59, writerAlive: alive))
        #expect(StaleTemporaries.isStale(.written(writer: 8), age: 60, writerAlive: alive))
        #expect(!StaleTemporaries.isStale(.written(writer: 7), age: 3600, writerAlive: alive))
        #expect(!StaleTemporaries.isStale(.retired(id), age: 10, writerAlive: alive))
        #expect(StaleTemporaries.isStale(.retired(id), age: 61, writerAlive: alive))
    }

    @Test("a sweep removes a dead writer's file and a half-retired job's request and folder; a live writer's file, a spare and a young file stay")
    func sweep() throws {
        let spool = try ScratchSpool()
        let layout = spool.layout
        let retired = JobID.make()
        try FileSystem.makeDirectory(layout.job(retired))
        try AtomicFile.write(Array("out".utf8), to: layout.job(retired, .stdout), layout: layout)
        try FileSystem.makeDirectory(layout.session(retired))
        let paths = (dead: layout.tmp + "/900001-1.tmp", live: layout.tmp + "/\(getpid())-2.tmp",
                     retired: layout.tmp + "/retired-" + retired.fileName, spare: layout.spare)
        for path in [paths.dead, paths.live, paths.retired] {
            #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
        }
        try FileSystem.makeDirectory(paths.spare)
        // Young: nothing goes at the minimum age.
        #expect(StaleTemporaries.sweep(layout, writerAlive: { $0 != 900001 }) == 0)
        #expect(StaleTemporaries.sweep(layout, minimumAge: 0, writerAlive: { $0 != 900001 }) == 2)
        #expect(!FileSystem.exists(paths.dead) && !FileSystem.exists(paths.retired) && !FileSystem.isDirectory(layout.job(retired))
                && !FileSystem.isDirectory(layout.session(retired)))
        #expect(FileSystem.exists(paths.live) && FileSystem.isDirectory(paths.spare))
    }

    @Test("a writer is alive while its process exists, and gone once it has been reaped")
    func writers() throws {
        #expect(StaleTemporaries.isRunning(getpid()))
        var child: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { argv.forEach { free($0) } }
        #expect(posix_spawn(&child, "/bin/true", nil, nil, argv, environ) == 0)
        var status: Int32 = 0
        #expect(waitpid(child, &status, 0) == child)
        #expect(!StaleTemporaries.isRunning(child))
    }
}
