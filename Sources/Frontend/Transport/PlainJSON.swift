import Foundation
import MCP

/// JSON decoded into MCP's `Value`, with strings kept as strings.
///
/// Hand-written because swift-sdk 0.12.1's `Value.init(from:)` checks every string for a
/// `data:` URL with a Regex it builds anew on each call (`Data.dataURLRegex` is a computed
/// static property): `perf record` of a burst of `start` calls put 15 % of spool-mcp's CPU
/// there. Spool's own results and the messages it vets never carry data URLs to convert.
struct PlainJSON: Decodable {
    let value: Value

    init(from decoder: Decoder) throws {
        // The same order as `Value.init(from:)`: null, bool, int, double, string, array, object.
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = .null
        } else if let bool = try? container.decode(Bool.self) {
            value = .bool(bool)
        } else if let int = try? container.decode(Int.self) {
            value = .int(int)
        } else if let double = try? container.decode(Double.self) {
            value = .double(double)
        } else if let string = try? container.decode(String.self) {
            value = .string(string)
        } else if let array = try? container.decode([PlainJSON].self) {
            value = .array(array.map(\.value))
        } else if let object = try? container.decode([String: PlainJSON].self) {
            value = .object(object.mapValues(\.value))
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    /// A message's bytes as a `Value`.
    static func decode(_ data: Data) throws -> Value {
        try JSONDecoder().decode(PlainJSON.self, from: data).value
    }

    /// A result's `structuredContent`: what `CallTool.Result`'s generic initializer would
    /// build, without the per-string Regex.
    static func value(of encodable: some Encodable) throws -> Value {
        try decode(JSONEncoder().encode(encodable))
    }
}
