import Foundation

/// `SPOOL_RELAY_TRACE=1`: one line per step of each job on stderr, with wall-clock
/// milliseconds, so the time between hosts can be read off side by side.
enum Trace {
    static let on = ProcessInfo.processInfo.environment["SPOOL_RELAY_TRACE"] == "1"

    static func step(_ what: @autoclosure () -> String) {
        guard on else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let ms = Double(now.tv_sec % 1000) * 1000 + Double(now.tv_nsec) / 1e6
        FileHandle.standardError.write(Data(String(format: "trace %.2f %@\n", ms, what()).utf8))
    }
}
