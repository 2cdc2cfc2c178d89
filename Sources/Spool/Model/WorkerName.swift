/// A worker's name: it names `active/<name>/` and `workers/<name>.json`, so it is
/// limited to characters that are safe in a file name.
public struct WorkerName: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init?(_ text: String) {
        guard !text.isEmpty, text.utf8.count <= 100, text != ".", text != "..",
              text.utf8.allSatisfy({ byte in
                  (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                      || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
              })
        else { return nil }
        rawValue = text
    }

    public static func parse(_ text: String) throws(SpoolError) -> WorkerName {
        guard let name = WorkerName(text) else { throw .invalidWorkerName(text) }
        return name
    }

    public var description: String { rawValue }
    public static func < (lhs: WorkerName, rhs: WorkerName) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let name = WorkerName(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "not a worker name: \(text.prefix(40))"))
        }
        self = name
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
