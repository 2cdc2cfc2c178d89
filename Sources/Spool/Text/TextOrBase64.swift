import Foundation

/// Bytes as a JSON result or event carries them: `data` when they are UTF-8 text,
/// `dataBase64` otherwise. One rule for `output`, `file_read`, `file_tail` and `/events`.
public struct TextOrBase64: Sendable, Equatable {
    public var data: String?
    public var dataBase64: String?

    public init(_ bytes: [UInt8]) {
        if let text = String(validating: bytes, as: UTF8.self) { data = text } else { dataBase64 = Data(bytes).base64EncodedString() }
    }

    /// Both fields, for assigning to a result's own `data` and `dataBase64`.
    public var pair: (String?, String?) { (data, dataBase64) }
}
