import Spool
import Testing

/// `FileFollow`: what following a file by name reads and announces, without I/O.
@Suite("Following a file by name")
struct FileFollowTests {
    static func file(_ inode: UInt64, _ size: Int64) -> FileIdentity { FileIdentity(device: 1, inode: inode, size: size) }

    @Test("appends are read from where the last read stopped")
    func appends() {
        var follow = FileFollow(Self.file(7, 10), offset: 10)
        #expect(follow.observe(held: Self.file(7, 25), named: Self.file(7, 25)) == [.read(from: 10, to: 25)])
        #expect(follow.observe(held: Self.file(7, 25), named: Self.file(7, 25)) == [])
        #expect(follow.offset == 25)
    }

    @Test("a file that shrank was truncated: announced, then read from 0")
    func truncation() {
        var follow = FileFollow(Self.file(7, 100), offset: 100)
        #expect(follow.observe(held: Self.file(7, 4), named: Self.file(7, 4)) == [.truncated(previousOffset: 100), .read(from: 0, to: 4)])
        #expect(follow.offset == 4)
    }

    @Test("a rotation reads the old file to its end, then the new one from 0")
    func rotation() {
        var follow = FileFollow(Self.file(7, 10), offset: 10)
        // The old file got 5 more bytes before it was renamed away; the name is a new file.
        #expect(follow.observe(held: Self.file(7, 15), named: Self.file(8, 3)) == [.read(from: 10, to: 15), .rotated(previousEnd: 15), .reopen])
        #expect(follow.state == .detached(Self.file(7, 15), offset: 15))
        #expect(follow.reopened(Self.file(8, 3)) == [.read(from: 0, to: 3)])
        #expect(follow.state == .following(Self.file(8, 3), offset: 3))
    }

    @Test("a removed name keeps the held file until a new one appears")
    func removal() {
        var follow = FileFollow(Self.file(7, 10), offset: 10)
        #expect(follow.observe(held: Self.file(7, 12), named: nil) == [.read(from: 10, to: 12), .removed])
        // Still gone: only what the held file got, and no second announcement.
        #expect(follow.observe(held: Self.file(7, 13), named: nil) == [.read(from: 12, to: 13)])
        #expect(follow.observe(held: Self.file(7, 13), named: Self.file(9, 0)) == [.rotated(previousEnd: 13), .reopen])
        #expect(follow.reopened(Self.file(9, 0)) == [])
    }

    @Test("bytes held back (a split UTF-8 character) are read again next time")
    func heldBack() {
        var follow = FileFollow(Self.file(7, 0), offset: 0)
        #expect(follow.observe(held: Self.file(7, 6), named: Self.file(7, 6)) == [.read(from: 0, to: 6)])
        follow.handedOut(upTo: 5)
        #expect(follow.observe(held: Self.file(7, 7), named: Self.file(7, 7)) == [.read(from: 5, to: 7)])
    }

    @Test("a folder swapped in under the name is not followed")
    func notRegular() {
        var follow = FileFollow(Self.file(7, 0), offset: 0)
        let folder = FileIdentity(device: 1, inode: 8, size: 4096, isRegular: false)
        #expect(follow.observe(held: Self.file(7, 0), named: folder) == [.removed])
    }
}
