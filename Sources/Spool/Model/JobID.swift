import Glibc
import Synchronization

/// A job id: a ULID (26 characters of Crockford base32, 48 bits of milliseconds then 80
/// random bits). Sorting ids as strings sorts jobs by creation time, ids made on
/// different hosts do not collide, and every id is a safe file name.
public struct JobID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    /// Milliseconds since the epoch encoded in the id, decoded once: queue order and
    /// positions read it for every waiting request.
    public let milliseconds: UInt64

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    /// Byte → 5-bit value, 255 for bytes outside the alphabet. Ids are validated and
    /// decoded for every file in a queue listing, so this is a table, not a search.
    static let values: [UInt8] = {
        var table = [UInt8](repeating: 255, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()
    public static let length = 26

    /// Accepts only well-formed ids, so `../x`, empty or oversized strings never reach a path.
    public init?(_ text: String) {
        guard text.utf8.count == Self.length,
              text.utf8.allSatisfy({ Self.values[Int($0)] != 255 }),
              let first = text.utf8.first, first <= UInt8(ascii: "7")
        else { return nil }
        rawValue = text
        milliseconds = Self.decodeMilliseconds(text)
    }

    /// Parses an id a user or client gave, with a message that says what is wrong.
    public static func parse(_ text: String) throws(SpoolError) -> JobID {
        guard let id = JobID(text) else { throw .invalidJobID(text) }
        return id
    }

    /// Parses `<id>.json`, the name of every request file.
    public init?(fileName: String) {
        guard fileName.hasSuffix(".json") else { return nil }
        self.init(String(fileName.dropLast(5)))
    }

    public var fileName: String { rawValue + ".json" }
    public var description: String { rawValue }

    private static func decodeMilliseconds(_ text: String) -> UInt64 {
        var value: UInt64 = 0
        for byte in text.utf8.prefix(10) {
            value = value << 5 | UInt64(values[Int(byte)])
        }
        return value
    }

    public var createdAt: Timestamp { Timestamp(nanoseconds: Int64(milliseconds) * 1_000_000) }

    /// The string order (the time prefix sorts like the time, so it is compared first).
    public static func < (lhs: JobID, rhs: JobID) -> Bool {
        lhs.milliseconds != rhs.milliseconds ? lhs.milliseconds < rhs.milliseconds : lhs.rawValue < rhs.rawValue
    }

    public static func == (lhs: JobID, rhs: JobID) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = JobID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "not a job id (26-character ULID): \(text.prefix(40))"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Last id made by this process: ids made in the same millisecond increment the
    /// random part, so they stay strictly increasing (FIFO) within a process.
    private static let last = Mutex<(ms: UInt64, high: UInt16, low: UInt64)>((0, 0, 0))

    /// Makes a new id, strictly greater than every id this process made before.
    public static func make(now: Timestamp = .now) -> JobID {
        var rng = SystemRandomNumberGenerator()
        let parts = last.withLock { last -> (UInt64, UInt16, UInt64) in
            var ms = UInt64(max(0, now.nanoseconds / 1_000_000))
            var high: UInt16, low: UInt64
            if ms <= last.ms {
                ms = last.ms
                (low, high) = last.low == .max ? (0, last.high &+ 1) : (last.low + 1, last.high)
            } else {
                high = rng.next()
                low = rng.next() >> 1 // leave room to increment
            }
            last = (ms, high, low)
            return (ms, high, low)
        }
        return JobID(milliseconds: parts.0, randomHigh: parts.1, randomLow: parts.2)
    }

    /// An id from its parts: 48 bits of milliseconds since the epoch and 80 random bits.
    public init(milliseconds: UInt64, randomHigh: UInt16, randomLow: UInt64) {
        var chars = [UInt8](repeating: 0, count: Self.length)
        // 48-bit time in 10 characters, then 80 random bits (16 + 64) in 16.
        var time = milliseconds & 0xFFFF_FFFF_FFFF
        for i in stride(from: 9, through: 0, by: -1) {
            chars[i] = Self.alphabet[Int(time & 31)]
            time >>= 5
        }
        var randomLow = randomLow
        var randomHigh = UInt64(randomHigh)
        for i in stride(from: 25, through: 10, by: -1) {
            chars[i] = Self.alphabet[Int(randomLow & 31)]
            randomLow = randomLow >> 5 | (randomHigh & 31) << 59
            randomHigh >>= 5
        }
        rawValue = String(decoding: chars, as: UTF8.self)
        self.milliseconds = milliseconds & 0xFFFF_FFFF_FFFF
    }
}
