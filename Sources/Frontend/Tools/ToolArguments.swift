import MCPWire
import Spool

/// A tool call's arguments, read with the types DESIGN.md gives them. Every getter
/// throws a `ToolError` naming the argument and what was expected.
struct ToolArguments {
    let tool: String
    let values: [String: Value]

    /// The arguments of a call of `tool`; refuses names its schema does not declare.
    init(_ tool: ToolName, values: [String: Value]?) throws(ToolError) {
        try self.init(tool: tool.rawValue, values: values, known: tool.arguments)
    }

    private init(tool: String, values: [String: Value]?, known: [String]) throws(ToolError) {
        self.tool = tool
        self.values = values ?? [:]
        let unknown = self.values.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty { throw .unknownArguments(tool: tool, names: unknown, known: known) }
    }

    private func present(_ name: String) -> Value? {
        guard let value = values[name], value != .null else { return nil }
        return value
    }

    func string(_ name: String) throws(ToolError) -> String? {
        guard let value = present(name) else { return nil }
        guard case .string(let text) = value else { throw wrong(name, "a string", value) }
        return text
    }

    func requiredString(_ name: String, _ expected: String) throws(ToolError) -> String {
        guard let text = try string(name) else { throw .missing(tool: tool, argument: name, expected: expected) }
        return text
    }

    func number(_ name: String, range: ClosedRange<Double>) throws(ToolError) -> Double? {
        guard let value = present(name) else { return nil }
        let number: Double
        switch value {
        case .int(let n): number = Double(n)
        case .double(let n): number = n
        default: throw wrong(name, "a number", value)
        }
        guard number.isFinite, range.contains(number) else {
            throw .invalid(tool: tool, argument: name, reason: "must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound)), got \(Self.format(number))")
        }
        return number
    }

    func integer(_ name: String, range: ClosedRange<Int>) throws(ToolError) -> Int? {
        guard let value = present(name) else { return nil }
        let number: Int
        switch value {
        case .int(let n): number = n
        case .double(let n) where n.rounded() == n && abs(n) < 1e15: number = Int(n)
        default: throw wrong(name, "a whole number", value)
        }
        guard range.contains(number) else {
            throw .invalid(tool: tool, argument: name, reason: "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    func bool(_ name: String) throws(ToolError) -> Bool? {
        guard let value = present(name) else { return nil }
        guard case .bool(let flag) = value else { throw wrong(name, "true or false", value) }
        return flag
    }

    func stringMap(_ name: String) throws(ToolError) -> [String: String]? {
        guard let value = present(name) else { return nil }
        guard case .object(let object) = value else { throw wrong(name, "an object of strings", value) }
        var result: [String: String] = [:]
        for (key, item) in object {
            guard case .string(let text) = item else { throw wrong("\(name).\(key)", "a string", item) }
            result[key] = text
        }
        return result
    }

    func strings(_ name: String, limit: Int = 1000) throws(ToolError) -> [String]? {
        guard let value = present(name) else { return nil }
        guard case .array(let items) = value else { throw wrong(name, "an array of strings", value) }
        guard items.count <= limit else {
            throw .invalid(tool: tool, argument: name, reason: "has \(items.count) items; at most \(limit) per call")
        }
        var result: [String] = []
        for item in items {
            guard case .string(let text) = item else { throw wrong(name, "an array of strings", item) }
            result.append(text)
        }
        return result
    }

    func job(_ name: String = "job") throws(ToolError) -> JobID {
        let text = try requiredString(name, "a job id as returned by run or start")
        do { return try JobID.parse(text) } catch { throw .spool(error) }
    }

    func jobs(_ name: String) throws(ToolError) -> [JobID] {
        guard let value = present(name) else { throw .missing(tool: tool, argument: name, expected: "an array of job ids") }
        guard case .array(let items) = value else { throw wrong(name, "an array of job ids", value) }
        guard !items.isEmpty, items.count <= 1000 else {
            throw .invalid(tool: tool, argument: name, reason: "must list 1 to 1000 job ids, got \(items.count)")
        }
        var ids: [JobID] = []
        for item in items {
            guard case .string(let text) = item else { throw wrong(name, "an array of job id strings", item) }
            do { ids.append(try JobID.parse(text)) } catch { throw .spool(error) }
        }
        return ids
    }

    func choice<T: RawRepresentable>(_ name: String, _ type: T.Type) throws(ToolError) -> T?
    where T.RawValue == String, T: CaseIterable {
        guard let text = try string(name) else { return nil }
        guard let value = T(rawValue: text) else {
            throw .invalid(tool: tool, argument: name, reason: "must be one of \(T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), got \"\(text.prefix(40))\"")
        }
        return value
    }

    private func wrong(_ name: String, _ expected: String, _ value: Value) -> ToolError {
        .wrongType(tool: tool, argument: name, expected: expected, got: Self.describe(value))
    }

    static func describe(_ value: Value) -> String { value.shortDescription }

    static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}
