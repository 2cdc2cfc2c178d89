import Foundation
import Spool
import Testing

@Suite("JobID")
struct JobIDTests {
    @Test("ids are 26 Crockford base32 characters and sort by creation time")
    func format() {
        let early = JobID(milliseconds: 1_700_000_000_000, randomHigh: .max, randomLow: .max)
        let late = JobID(milliseconds: 1_700_000_000_001, randomHigh: 0, randomLow: 0)
        #expect(JobID.make() > late, "made ids follow the clock")
        #expect(early.rawValue.count == 26)
        #expect(early < late)
        #expect(early.milliseconds == 1_700_000_000_000)
        #expect(JobID(early.rawValue) == early)
    }

    @Test("ids made in the same millisecond (or after the clock stepped back) are unique and strictly increasing")
    func monotonic() {
        let now = Timestamp(nanoseconds: Timestamp.now.nanoseconds - 5_000_000_000)
        let ids = (0..<10_000).map { _ in JobID.make(now: now) }
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted())
    }

    @Test("ids made concurrently never collide")
    func concurrent() async {
        let ids = await withTaskGroup(of: [JobID].self) { group in
            for _ in 0..<8 { group.addTask { (0..<2000).map { _ in JobID.make() } } }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(ids).count == 16_000)
    }

    @Test("anything that is not an id is refused, so it never becomes a path",
          arguments: ["", "../x", "../../etc/passwd", "01ARZ3NDEKTSV4RRFFQ69G5FA", "01ARZ3NDEKTSV4RRFFQ69G5FAVX",
                      "01arz3ndektsv4rrffq69g5fav", "01ARZ3NDEKTSV4RRFFQ69G5FAU", "81ARZ3NDEKTSV4RRFFQ69G5FAV",
                      "01ARZ3NDEK/SV4RRFFQ69G5FAV", String(repeating: "A", count: 10_000)])
    func rejects(_ text: String) {
        #expect(JobID(text) == nil)
        #expect(throws: SpoolError.self) { try JobID.parse(text) }
    }

    @Test("request file names parse back to ids")
    func fileNames() {
        let id = JobID.make()
        #expect(JobID(fileName: id.fileName) == id)
        #expect(JobID(fileName: id.rawValue) == nil)
        #expect(JobID(fileName: "notes.txt") == nil)
    }
}

@Suite("Timestamp")
struct TimestampTests {
    @Test("ISO 8601 with milliseconds, round trip")
    func roundTrip() throws {
        let t = Timestamp(nanoseconds: 1_763_706_679_123_000_000)
        #expect(t.description == "2025-11-21T06:31:19.123Z")
        #expect(Timestamp(iso8601: t.description) == t)
        #expect(Timestamp(iso8601: "2025-11-21T06:31:19Z")?.nanoseconds == 1_763_706_679_000_000_000)
        #expect(Timestamp(iso8601: "yesterday") == nil)
        let json = try JSONEncoder().encode([t])
        #expect(String(decoding: json, as: UTF8.self) == "[\"2025-11-21T06:31:19.123Z\"]")
    }
}
