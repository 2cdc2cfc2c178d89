/// Writes a `Value` as compact JSON (no spaces; `/` unescaped; non-ASCII as UTF-8).
///
/// Hand-written for the same reason as `JSONParser`: `JSONEncoder` goes through
/// `Encodable` containers for every member, the largest cost of sending a notification.
public enum JSONWriter {
    public static func bytes(_ value: Value) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, to: &out)
        return out
    }

    /// - Parameter sortedKeys: members in the order Swift sorts their keys (by UTF-8 bytes,
    ///   for ASCII keys), as `ValueEncoder` writes the spool's files: a stable, diffable
    ///   text for `cat`; otherwise in any order.
    public static func write(_ value: Value, to out: inout [UInt8], sortedKeys: Bool = false) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number):
            if number.isFinite {
                // Whole doubles keep a ".0"-free form JSON readers take as numbers either way.
                out.append(contentsOf: (number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : "\(number)").utf8)
            } else {
                out.append(contentsOf: "null".utf8) // JSON has no NaN or infinity
            }
        case .string(let text): writeString(text, to: &out)
        case .array(let items):
            writeArray(items, to: &out) { item, out in write(item, to: &out, sortedKeys: sortedKeys) }
        case .object(let members):
            let member: (Value, inout [UInt8]) -> Void = { value, out in write(value, to: &out, sortedKeys: sortedKeys) }
            if sortedKeys {
                writeObject(members.sorted(by: { $0.key < $1.key }), to: &out, member)
            } else {
                writeObject(members, to: &out, member)
            }
        }
    }

    /// `[item,item]`, each written by `item` (a `Value`'s, or `ValueEncoder`'s items).
    static func writeArray<Items: Sequence>(_ items: Items, to out: inout [UInt8],
                                            _ item: (Items.Element, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "["))
        var first = true
        for element in items {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            item(element, &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// `{"key":value,...}` in the members' order, each value written by `value`.
    static func writeObject<Member>(_ members: some Sequence<(key: String, value: Member)>, to out: inout [UInt8],
                                    _ value: (Member, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for (key, member) in members {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            writeString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            value(member, &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most texts (keys, ids, paths) need no escape: copied at once, not byte by byte.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out.append(contentsOf: text.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
