import Spool
import Testing

@Suite("UTF8Boundary")
struct UTF8BoundaryTests {
    @Test("an incomplete character at the end is held back; a complete one is not")
    func suffix() {
        let euro = Array("€".utf8) // 3 bytes
        let smile = Array("😀".utf8) // 4 bytes
        #expect(UTF8Boundary.incompleteSuffix(Array("abc".utf8)) == 0)
        #expect(UTF8Boundary.incompleteSuffix(Array("a€".utf8)) == 0)
        #expect(UTF8Boundary.incompleteSuffix(Array("a".utf8) + euro.prefix(1)) == 1)
        #expect(UTF8Boundary.incompleteSuffix(Array("a".utf8) + euro.prefix(2)) == 2)
        #expect(UTF8Boundary.incompleteSuffix(smile.prefix(3)) == 3)
        #expect(UTF8Boundary.incompleteSuffix(smile) == 0)
        #expect(UTF8Boundary.incompleteSuffix([UInt8]()) == 0)
    }

    @Test("the rest of a character cut at the front is skipped")
    func prefix() {
        let smile = Array("😀x".utf8)
        #expect(UTF8Boundary.continuationPrefix(smile) == 0)
        #expect(UTF8Boundary.continuationPrefix(smile.dropFirst()) == 3)
        #expect(UTF8Boundary.continuationPrefix(smile.dropFirst(2)) == 2)
    }
}
