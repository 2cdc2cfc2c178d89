/// An MCP task's id: 128 random bits as 32 lowercase hex digits. It is a capability (who
/// holds it may read and cancel the job), so it is never derived from the job id, and a
/// text that is not exactly this shape is refused before it reaches a path.
public struct TaskID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts only 32 lowercase hex digits, so `../x` never reaches a path.
    public init?(_ text: String) {
        guard text.utf8.count == 32,
              text.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        rawValue = text
    }

    /// A fresh id from the system's cryptographic generator (getrandom(2)).
    public static func make() -> TaskID {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        var text = ""
        for _ in 0..<2 {
            var word = generator.next() as UInt64
            for _ in 0..<16 {
                text.append(digits[Int(word & 0xf)])
                word >>= 4
            }
        }
        return TaskID(text)!
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = TaskID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a task id: \(text.prefix(40))"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
