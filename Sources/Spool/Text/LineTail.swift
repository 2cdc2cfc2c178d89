/// The last lines of a file, read backwards in blocks (never the whole file): one rule
/// for a job's `tail` and a watched file's `file_tail`.
public enum LineTail {
    /// The last `count` lines of the `size` bytes `read(offset, limit)` gives, at most
    /// `maxBytes` of them (`truncated` then says the first line was cut).
    public static func last<Failure: Error>(
        _ count: Int, size: Int64, maxBytes: Int = 1 << 20,
        read: (_ offset: Int64, _ limit: Int) throws(Failure) -> [UInt8]
    ) throws(Failure) -> (text: [UInt8], truncated: Bool) {
        var start = size
        var collected: [UInt8] = []
        let block: Int64 = 65536
        while start > 0 {
            let from = max(0, start - block)
            let bytes = try read(from, Int(start - from))
            collected = bytes + collected
            start = from
            var newlines = collected.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            if collected.last == 10 { newlines -= 1 }
            if newlines >= count || collected.count >= maxBytes { break }
        }
        var lines = collected.split(separator: 10, omittingEmptySubsequences: false)
        if collected.last == 10 { lines.removeLast() }
        let kept = lines.suffix(count)
        var text = Array(kept.joined(separator: [10]))
        if collected.last == 10 && !kept.isEmpty { text.append(10) }
        var truncated = false
        if text.count > maxBytes {
            text = Array(text.suffix(maxBytes))
            truncated = true
        }
        return (text, truncated)
    }
}
