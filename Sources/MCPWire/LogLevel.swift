/// The severities of `notifications/message` (RFC 5424 order, least severe first).
public enum LogLevel: String, CaseIterable, Sendable, Comparable {
    case debug, info, notice, warning, error, critical, alert, emergency

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
