import Spool
import Testing

@Suite("a session's saved state as one value")
struct SessionSnapshotTests {
    @Test("read what a session left, lay it down in another spool, read the same back; a missing file stays missing")
    func roundTrip() throws {
        let here = try ScratchSpool(), there = try ScratchSpool()
        let session = SessionID(opening: JobID.make())
        let saved = SessionSnapshot(cwd: "/srv/app\n", env: "declare -x GREETING=\"hi\"\n", functions: "greet () \n{ \n    echo hi\n}\n")
        try saved.write(session, layout: here.layout)
        let read = try SessionSnapshot.read(session, layout: here.layout)
        #expect(read == saved)
        try read.write(session, layout: there.layout)
        #expect(try SessionSnapshot.read(session, layout: there.layout) == saved)
        let fresh = SessionID(opening: JobID.make())
        try SessionSnapshot(cwd: "/tmp\n").write(fresh, layout: there.layout)
        #expect(try SessionSnapshot.read(fresh, layout: there.layout) == SessionSnapshot(cwd: "/tmp\n"))
    }
}
