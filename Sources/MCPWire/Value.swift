/// A JSON value, as MCP messages carry it: the one untyped type of the wire.
///
/// Integers stay integers (`1` is `.int(1)`, `1.0` is `.double(1.0)`), so ids, sizes and
/// exit codes round-trip exactly.
public enum Value: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([Value])
    case object([String: Value])

    public var isObject: Bool { if case .object = self { true } else { false } }
    public var isString: Bool { if case .string = self { true } else { false } }

    public var boolValue: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var intValue: Int? { if case .int(let value) = self { value } else { nil } }
    public var doubleValue: Double? {
        switch self {
        case .double(let value): value
        case .int(let value): Double(value)
        default: nil
        }
    }
    public var stringValue: String? { if case .string(let value) = self { value } else { nil } }
    public var arrayValue: [Value]? { if case .array(let value) = self { value } else { nil } }
    public var objectValue: [String: Value]? { if case .object(let value) = self { value } else { nil } }

    /// The member `key` of an object; nil for a missing key or a value that is no object.
    public subscript(key: String) -> Value? {
        if case .object(let object) = self { object[key] } else { nil }
    }
}

extension Value: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension Value: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension Value: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .int(value) }
}

extension Value: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension Value: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension Value: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: Value...) { self = .array(elements) }
}

extension Value: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, Value)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension Value: CustomStringConvertible {
    /// The value as compact JSON.
    public var description: String { String(decoding: JSONWriter.bytes(self), as: UTF8.self) }
}
