import Foundation
import Glibc
import Spool
import Testing

/// Retired jobs' inodes kept for new jobs (`SpareInodes`): retention empties and keeps them,
/// new job folders and atomically written files take them.
@Suite("Spare inodes")
struct SpareInodesTests {
    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    /// A job that ran and finished an hour ago, with output, its records and a marker.
    static func finishedJob(_ layout: SpoolLayout, ago seconds: Int64 = 3600) throws -> JobID {
        let now = Timestamp.now
        let id = JobID(milliseconds: UInt64((now.nanoseconds - seconds * 1_000_000_000) / 1_000_000), randomHigh: 0, randomLow: UInt64.random(in: 0...UInt64(UInt32.max)))
        try FileSystem.makeDirectory(layout.job(id))
        for (file, text) in [(JobFile.stdout, "out\n"), (.stderr, "err\n"), (.cancel, ""), (.exit, #"{"pid":1}"#)] {
            try AtomicFile.write(Array(text.utf8), to: layout.job(id, file), layout: layout, durable: false)
        }
        var status = JobStatus(job: id, state: .succeeded, priority: .async, createdAt: id.createdAt)
        status.finishedAt = id.createdAt
        try JobRecords(layout: layout).writeStatus(status, durable: false)
        try AtomicFile.write(try SpoolJSON.encode(JobRequest(job: id, command: "true", priority: .async)), to: layout.done(id), layout: layout, durable: false)
        #expect(link(layout.done(id), layout.job(id, .request)) == 0)
        return id
    }

    @Test("retention keeps a retired job's folder (stdout, stderr, exit reserve, all empty), its status and its request as spares")
    func recycled() throws {
        let spool = try ScratchSpool()
        let layout = spool.layout
        let id = try Self.finishedJob(layout)
        let folderInode = Self.inode(layout.job(id)), requestInode = Self.inode(layout.done(id))
        #expect(Retention(layout: layout, retain: 600).sweep() == 1)
        #expect(!FileSystem.exists(layout.done(id)) && !FileSystem.exists(layout.job(id)))
        let spare = layout.spare + "/" + id.rawValue
        #expect(Set(FileSystem.list(layout.spare)) == [id.rawValue + ".job", id.rawValue + ".file", id.rawValue + "-status.file"])
        #expect(Set(FileSystem.list(spare + ".job")) == ["stdout", "stderr", ".exit.json.tmp"])
        for name in FileSystem.list(spare + ".job") { #expect(FileSystem.size(spare + ".job/" + name) == 0) }
        #expect(FileSystem.size(spare + ".file") == 0 && FileSystem.size(spare + "-status.file") == 0)
        #expect(Self.inode(spare + ".job") == folderInode && Self.inode(spare + ".file") == requestInode)

        // A new job takes the folder, and written files take the files.
        let next = JobID.make()
        try FileSystem.makeJobFolder(next, layout: layout)
        #expect(Self.inode(layout.job(next)) == folderInode)
        #expect(Set(FileSystem.list(layout.job(next))) == ["stdout", "stderr", ".exit.json.tmp"])
        let target = layout.root + "/written.json"
        try AtomicFile.write(Array("new\n".utf8), to: target, layout: layout, durable: false)
        try AtomicFile.write(Array("newer\n".utf8), to: target + "2", layout: layout, durable: false)
        #expect(try FileSystem.read(target) == Array("new\n".utf8) && FileSystem.read(target + "2") == Array("newer\n".utf8))
        #expect(Set([Self.inode(target), Self.inode(target + "2")]).contains(requestInode))
        #expect(FileSystem.list(layout.spare).isEmpty)
        // None left: made as before.
        try FileSystem.makeJobFolder(JobID.make(), layout: layout)
        try AtomicFile.write(Array("plain\n".utf8), to: target + "3", layout: layout, durable: false)
        #expect(FileSystem.list(layout.tmp) == ["spare"])
    }

    @Test("a folder that exists already is left as it was, and the spare stays one")
    func existingFolder() throws {
        let spool = try ScratchSpool()
        let layout = spool.layout
        #expect(Retention(layout: layout, retain: 600).sweep(now: .now) == 0)
        _ = try Self.finishedJob(layout)
        #expect(Retention(layout: layout, retain: 600).sweep() == 1)
        let id = JobID.make()
        try FileSystem.makeDirectory(layout.job(id))
        try AtomicFile.write(Array("x".utf8), to: layout.job(id, .stdout), layout: layout, durable: false)
        let before = Self.inode(layout.job(id))
        try FileSystem.makeJobFolder(id, layout: layout)
        #expect(Self.inode(layout.job(id)) == before && FileSystem.size(layout.job(id, .stdout)) == 1)
        #expect(FileSystem.list(layout.spare).contains { $0.hasSuffix(".job") })
    }

    @Test("without room, or for a job that never started (no output files), retention removes as before")
    func noRoom() throws {
        let spool = try ScratchSpool()
        let layout = spool.layout
        let id = try Self.finishedJob(layout)
        let request = layout.tmp + "/retired-" + id.fileName
        #expect(rename(layout.done(id), request) == 0)
        var room = 2
        SpareInodes.recycle(id, request: request, layout: layout, room: &room)
        #expect(!FileSystem.exists(layout.job(id)) && !FileSystem.exists(request))
        #expect(FileSystem.list(layout.spare).isEmpty && room == 2)

        let cancelled = try Self.finishedJob(layout)
        for file in [JobFile.stdout, .stderr] { unlink(layout.job(cancelled, file)) }
        #expect(Retention(layout: layout, retain: 600).sweep() == 1)
        #expect(!FileSystem.list(layout.spare).contains { $0.hasSuffix(".job") }, "a folder without output files is no spare")
        #expect(FileSystem.list(layout.spare).contains(cancelled.rawValue + ".file"))
    }
}

extension SpareInodesTests {
    @Test("a symlink or FIFO dropped among the spares is removed, never followed into place or waited on")
    func plantedEntries() throws {
        let spool = try ScratchSpool()
        let layout = spool.layout
        let elsewhere = layout.root + "/elsewhere"
        try FileSystem.makeDirectory(elsewhere)
        try FileSystem.makeDirectory(layout.spare)
        #expect(symlink(elsewhere, layout.spare + "/planted.job") == 0)
        #expect(symlink(elsewhere + "/target", layout.spare + "/planted.file") == 0)
        #expect(mkfifo(layout.spare + "/fifo.file", 0o600) == 0)
        let id = JobID.make()
        try FileSystem.makeJobFolder(id, layout: layout)
        #expect(FileSystem.isDirectory(layout.job(id)), "the job folder is a real folder")
        for n in 0..<3 {
            try AtomicFile.write(Array("text \(n)\n".utf8), to: layout.root + "/f\(n)", layout: layout, durable: false)
            #expect(FileSystem.isRegularFile(layout.root + "/f\(n)"))
        }
        #expect(FileSystem.list(elsewhere).isEmpty, "nothing was written through a planted symlink")
        #expect(FileSystem.list(layout.spare).isEmpty)
    }
}
