import MCPWire
import Testing

@Suite("JSON reading and writing")
struct JSONParserTests {
    static func parse(_ text: String) throws -> Value { try JSONParser.parse(Array(text.utf8)) }

    @Test("integers stay integers, doubles doubles, booleans booleans")
    func numbers() throws {
        #expect(try Self.parse("1") == .int(1))
        #expect(try Self.parse("-0") == .int(0))
        #expect(try Self.parse("1.0") == .double(1))
        #expect(try Self.parse("1e3") == .double(1000))
        #expect(try Self.parse("true") == .bool(true))
        #expect(try Self.parse("9223372036854775807") == .int(Int.max))
        #expect(try Self.parse("9223372036854775808") == .double(9223372036854775808))
        #expect(try Self.parse(#"{"a":[1,2.5,null,"x"],"b":{}}"#) == ["a": [1, 2.5, nil, "x"], "b": [:]])
    }

    @Test("escapes, surrogate pairs and UTF-8 round-trip")
    func strings() throws {
        #expect(try Self.parse(#""a\"b\\c\/d\n\t\u0001""#) == .string("a\"b\\c/d\n\t\u{01}"))
        #expect(try Self.parse(#""\ud83d\ude00 é""#) == .string("😀 é"))
        let value: Value = ["text": .string("line\n\"q\" \u{01} 😀 </script>"), "n": 3, "list": [true, nil, 1.5]]
        #expect(try JSONParser.parse(JSONWriter.bytes(value)) == value)
    }

    @Test("malformed JSON is refused with the byte it stopped at", arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "\"a", "\"\\x\"", "\"\\ud800\"", "NaN", "1 2", "{'a':1}",
        "\"\u{01}\"", "[" + String(repeating: "[", count: 600) + String(repeating: "]", count: 601),
    ])
    func malformed(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try Self.parse(text) }
    }

    @Test("bytes that are not UTF-8 in a string are refused")
    func invalidUTF8() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
    }

    @Test("a message is read by its shape: request, notification, response")
    func messages() throws {
        #expect(JSONRPCMessage(try Self.parse(#"{"jsonrpc":"2.0","id":"1","method":"ping"}"#)) == .request(id: .string("1"), method: "ping", params: [:]))
        #expect(JSONRPCMessage(try Self.parse(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)) == .notification(method: "notifications/initialized", params: [:]))
        #expect(JSONRPCMessage(try Self.parse(#"{"jsonrpc":"2.0","id":1,"result":{}}"#)) == .response(id: .int(1), result: .success([:])))
        #expect(JSONRPCMessage(try Self.parse(#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#)) == nil)
    }
}

@Suite("Value from Codable")
struct ValueEncodingTests {
    @Test("structured content is the Codable value's JSON, with integers kept")
    func structured() throws {
        struct Result: Codable { var job: String; var exitCode: Int?; var truncated: Bool; var etaSeconds: Double? }
        let value = try Value(encoding: Result(job: "01J", exitCode: 0, truncated: false, etaSeconds: 2.5))
        #expect(value == .object(["job": "01J", "exitCode": 0, "truncated": false, "etaSeconds": 2.5]))
    }

    @Test("a string that looks like a data URL stays the string it was")
    func dataURLStaysText() throws {
        let value = try JSONParser.parse(Array(#"{"stdout":"data:text/plain;base64,aGk="}"#.utf8))
        #expect(value == .object(["stdout": .string("data:text/plain;base64,aGk=")]))
    }
}
