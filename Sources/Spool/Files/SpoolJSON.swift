import Foundation
import MCPWire

/// JSON as the spool writes it: sorted keys and one trailing newline, so `cat` shows a
/// stable, diffable file. Written by MCPWire's `ValueEncoder` (it says why not
/// `JSONEncoder`); read with `JSONDecoder`.
public enum SpoolJSON {
    public static func encode<T: Encodable>(_ value: T) throws(SpoolError) -> [UInt8] {
        do {
            var bytes = try ValueEncoder().sortedJSON(value)
            bytes.append(UInt8(ascii: "\n"))
            return bytes
        } catch {
            throw .corruptFile(path: "(encoding \(T.self))", reason: "\(error)")
        }
    }

    public static func decode<T: Decodable>(
        _ type: T.Type, from bytes: [UInt8], path: String, userInfo: [CodingUserInfoKey: any Sendable] = [:]
    ) throws(SpoolError) -> T {
        do {
            let decoder = JSONDecoder()
            decoder.userInfo = userInfo
            return try decoder.decode(T.self, from: Data(bytes))
        } catch let DecodingError.dataCorrupted(context) {
            throw .corruptFile(path: path, reason: describe(context, "is not valid JSON"))
        } catch let DecodingError.keyNotFound(key, _) {
            throw .corruptFile(path: path, reason: "required field '\(key.stringValue)' is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .corruptFile(path: path, reason: describe(context, "has the wrong type"))
        } catch let DecodingError.valueNotFound(_, context) {
            throw .corruptFile(path: path, reason: describe(context, "is null"))
        } catch {
            throw .corruptFile(path: path, reason: "\(error)")
        }
    }

    private static func describe(_ context: DecodingError.Context, _ what: String) -> String {
        let field = context.codingPath.map(\.stringValue).joined(separator: ".")
        return field.isEmpty ? "\(what): \(context.debugDescription)"
            : "field '\(field)' \(what): \(context.debugDescription)"
    }

    /// Reads and decodes a file; nil when the file does not exist.
    public static func load<T: Decodable>(_ type: T.Type, from path: String) throws(SpoolError) -> T? {
        guard let bytes = try FileSystem.read(path) else { return nil }
        return try decode(type, from: bytes, path: path)
    }
}
