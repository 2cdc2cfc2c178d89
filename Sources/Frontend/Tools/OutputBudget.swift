import Spool

/// How much of a job's output a result carries inline: one budget for both streams, the
/// end of each first (that is where errors are), so that a result stays within what
/// clients accept (Claude Code refuses results above 25,000 tokens by default).
struct OutputBudget: Sendable, Equatable {
    /// Bytes of output in all, over both streams.
    var bytes: Int

    static let standard = OutputBudget(bytes: Settings.inlineOutput)

    /// Where each stream's inline tail starts, given the streams' sizes. A stream that
    /// needs less than half leaves the rest to the other.
    func starts(stdout: Int64, stderr: Int64) -> (stdout: Int64, stderr: Int64) {
        let total = Int64(max(0, bytes))
        if stdout + stderr <= total { return (0, 0) }
        let half = total / 2
        var shownOut = min(stdout, half)
        var shownErr = min(stderr, half)
        let left = total - shownOut - shownErr
        if stdout > shownOut { shownOut = min(stdout, shownOut + left) } else { shownErr = min(stderr, shownErr + left) }
        return (stdout - shownOut, stderr - shownErr)
    }

    /// The bytes from `start`, without a UTF-8 character cut in half at the front.
    static func dropPartialCharacter(_ bytes: [UInt8], cut: Bool) -> (bytes: ArraySlice<UInt8>, dropped: Int) {
        guard cut else { return (bytes[...], 0) }
        let skip = UTF8Boundary.continuationPrefix(bytes)
        return (bytes.dropFirst(skip), skip)
    }
}
