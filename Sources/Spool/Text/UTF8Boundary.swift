/// Where a byte range may begin or end without cutting a UTF-8 character in two: one rule
/// for the `output` tool, inline previews and the `/events` recorder.
public enum UTF8Boundary {
    /// How many bytes at the end of `tail` begin a character whose remaining bytes have not
    /// been written yet (0 when the text ends on a boundary). Only the last 4 bytes matter.
    public static func incompleteSuffix<Bytes: BidirectionalCollection>(_ tail: Bytes) -> Int where Bytes.Element == UInt8 {
        var back = 0
        for byte in tail.reversed().prefix(3) {
            back += 1
            if byte & 0xC0 == 0x80 { continue } // continuation byte: look further back
            let needed = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            return needed > back ? back : 0
        }
        return 0
    }

    /// `bytes` without the start of a character at its end whose remaining bytes have not
    /// been read yet, so the next read begins with them; bytes that are all such a start,
    /// or that are valid UTF-8, are returned as they are.
    public static func withoutIncompleteEnd(_ bytes: [UInt8]) -> [UInt8] {
        guard String(validating: bytes, as: UTF8.self) == nil else { return bytes }
        let cut = incompleteSuffix(bytes.suffix(4))
        return cut > 0 && bytes.count > cut ? Array(bytes.dropLast(cut)) : bytes
    }

    /// How many continuation bytes open `bytes` (the rest of a character cut at the front).
    public static func continuationPrefix<Bytes: Collection>(_ bytes: Bytes) -> Int where Bytes.Element == UInt8 {
        bytes.prefix(3).prefix { $0 & 0xC0 == 0x80 }.count
    }
}
