import Foundation
import MCPWire
import Testing

@Suite("Encoding into a Value and into sorted JSON")
struct ValueEncoderTests {
    enum Color: String, Codable { case red, blue }

    struct Inner: Codable, Equatable {
        var name: String
        var sizes: [Int64]
        var ratio: Double?
    }

    struct Record: Codable, Equatable {
        var zeta: Int
        var alpha: String?
        var beta: Bool
        var inner: Inner
        var items: [Inner]
        var colors: [String: Color]
        var optional: Int?
        var tiny: UInt8
        var text: String
    }

    static let record = Record(
        zeta: -3, alpha: "a/b \"quoted\"\n\u{01} é 😀", beta: true,
        inner: Inner(name: "in", sizes: [1, Int64.max], ratio: 0.25),
        items: [Inner(name: "x", sizes: [], ratio: nil), Inner(name: "y", sizes: [7], ratio: 1.5)],
        colors: ["b": .blue, "a": .red], optional: nil, tiny: 255, text: "")

    @Test("a record encodes to what JSONEncoder writes, as a value and as sorted JSON that decodes back")
    func sameAsJSONEncoder() throws {
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let expected = try JSONParser.parse(Array(foundation.encode(Self.record)))
        #expect(try ValueEncoder().encode(Self.record) == expected)
        let bytes = try ValueEncoder().sortedJSON(Self.record)
        #expect(try JSONParser.parse(bytes) == expected)
        #expect(try JSONDecoder().decode(Record.self, from: Data(bytes)) == Self.record)
    }

    @Test("sorted JSON lists every object's keys in order, nested ones too; nil optionals are left out")
    func sortedKeys() throws {
        let text = String(decoding: try ValueEncoder().sortedJSON(Self.record), as: UTF8.self)
        #expect(text.hasPrefix(#"{"alpha":"#))
        #expect(text.contains(#""beta":true,"colors":{"a":"red","b":"blue"},"inner":{"name":"in","ratio":0.25,"sizes":[1,9223372036854775807]},"items":[{"name":"x","sizes":[]},"#))
        #expect(text.hasSuffix(#""text":"","tiny":255,"zeta":-3}"#))
        #expect(!text.contains("optional"))
    }

    struct Twice: Encodable {
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: AnyKey.self)
            try container.encode(1, forKey: AnyKey("b"))
            try container.encode(2, forKey: AnyKey("a"))
            try container.encode(3, forKey: AnyKey("b"))
            var nested = container.nestedUnkeyedContainer(forKey: AnyKey("list"))
            try nested.encode("x")
            var object = nested.nestedContainer(keyedBy: AnyKey.self)
            try object.encode(true, forKey: AnyKey("k"))
            var again = encoder.container(keyedBy: AnyKey.self) // the same object
            try again.encode(4, forKey: AnyKey("c"))
            var single = container.superEncoder(forKey: AnyKey("super")).singleValueContainer()
            try single.encode("s")
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    @Test("a key set twice keeps its last value; nested containers, a second container and a super encoder land in place")
    func containers() throws {
        let expected: Value = ["a": 2, "b": 3, "c": 4, "list": ["x", ["k": true]], "super": "s"]
        #expect(try ValueEncoder().encode(Twice()) == expected)
        #expect(String(decoding: try ValueEncoder().sortedJSON(Twice()), as: UTF8.self)
                == #"{"a":2,"b":3,"c":4,"list":["x",{"k":true}],"super":"s"}"#)
    }

    struct Empty: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    @Test("what JSON cannot hold is refused, with the member's path; a value that writes nothing is {}")
    func refusals() throws {
        #expect(throws: EncodingError.self) { try ValueEncoder().encode(["n": Double.nan]) }
        #expect(throws: EncodingError.self) { try ValueEncoder().encode([Double.infinity]) }
        do {
            _ = try ValueEncoder().encode(["big": [UInt64.max]])
            Issue.record("UInt64.max was encoded")
        } catch EncodingError.invalidValue(_, let context) {
            #expect(context.codingPath.map(\.stringValue) == ["big", "0"])
        }
        #expect(try ValueEncoder().encode(["n": UInt64(Int.max)]) == ["n": .int(Int.max)])
        #expect(try ValueEncoder().encode(Empty()) == [:])
    }
}
