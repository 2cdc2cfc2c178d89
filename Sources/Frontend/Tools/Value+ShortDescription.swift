import MCP

extension Value {
    /// What a value is, for an error message about it: its kind, and a short prefix of a string.
    var shortDescription: String {
        switch self {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .int(let number): "the number \(number)"
        case .double(let number): "the number \(number)"
        case .string(let text): "the string \"\(text.prefix(40))\(text.count > 40 ? "…" : "")\""
        case .data: "binary data"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
