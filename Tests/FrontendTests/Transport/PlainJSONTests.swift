@testable import Frontend
import Foundation
import MCP
import Testing

@Suite("PlainJSON")
struct PlainJSONTests {
    @Test("decodes what the SDK's Value decodes, the same way, for messages without data URLs")
    func sameAsValue() throws {
        let text = #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"run","arguments":{"command":"echo hi","wait":1.5,"env":{"A":"b"},"x":[true,null,-3]}}}"#
        let plain = try PlainJSON.decode(Data(text.utf8))
        let sdk = try JSONDecoder().decode(Value.self, from: Data(text.utf8))
        #expect(plain == sdk)
    }

    @Test("a string that looks like a data URL stays the string it was")
    func dataURLStaysText() throws {
        let value = try PlainJSON.decode(Data(#"{"stdout":"data:text/plain;base64,aGk="}"#.utf8))
        #expect(value == .object(["stdout": .string("data:text/plain;base64,aGk=")]))
    }

    @Test("structured content is the Codable value's JSON")
    func structured() throws {
        struct Result: Codable { var job: String; var exitCode: Int?; var truncated: Bool; var etaSeconds: Double? }
        let value = try PlainJSON.value(of: Result(job: "01J", exitCode: 0, truncated: false, etaSeconds: 2.5))
        #expect(value == .object(["job": "01J", "exitCode": 0, "truncated": false, "etaSeconds": 2.5]))
    }

    @Test("bytes that are not JSON are an error, not a value")
    func notJSON() {
        #expect(throws: (any Error).self) { try PlainJSON.decode(Data("{nope".utf8)) }
    }
}
