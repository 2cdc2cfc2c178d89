import Foundation
import Glibc

/// `spool/audit/<YYYY-MM-DD>.jsonl` (UTC dates): one JSON object per line, appended by
/// spool-mcp (accepted, refused, cancelled, promoted, restored, policy) and the workers
/// (started, finished). Each line is one `write` to a file opened with O_APPEND, so lines
/// of several processes never interleave.
public struct AuditLog: Sendable {
    public let layout: SpoolLayout
    /// This host's name in each line.
    public let host: String

    public init(layout: SpoolLayout, host: String = AuditLog.host) {
        self.layout = layout
        self.host = host
    }

    /// This machine's name (read once: it costs a system call and a lookup).
    public static let host = ProcessInfo.processInfo.hostName

    /// The file for `time`'s UTC day.
    public func file(for time: Timestamp) -> String {
        layout.audit + "/" + Self.day(time) + ".jsonl"
    }

    /// `YYYY-MM-DD`: the date part of the time's ISO 8601 form (one formatter for both,
    /// and no `String(format:)` on every line).
    static func day(_ time: Timestamp) -> String {
        String(time.description.prefix(10))
    }

    /// Appends `entry`; the returned flush makes it durable (the caller commits it with
    /// the promise it goes with, or later).
    @discardableResult
    public func append(_ entry: AuditEntry) throws(SpoolError) -> PendingSync {
        var line = try SpoolJSON.encode(entry)
        while line.last == 10 { line.removeLast() }
        line.append(10)
        let path = file(for: entry.time)
        var fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        var created = false
        if fd < 0 && errno == ENOENT {
            try FileSystem.makeDirectory(layout.audit)
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            created = true
        }
        guard fd >= 0 else { throw .io(operation: "opening the audit log", path: path, errno: errno) }
        let owned = OwnedDescriptor(fd)
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else {
            // A short write leaves part of a line: end it, so the next line stays readable.
            if written > 0 { _ = write(fd, "\n", 1) }
            throw .io(operation: "appending to the audit log", path: path, errno: written < 0 ? errno : ENOSPC)
        }
        // A new file's name must reach the disk with its first line.
        return PendingSync(file: owned, path: path, directories: created ? [layout.audit] : [])
    }

    /// Appends a line no reply promises anything about: it survives any crash of Spool's
    /// processes (the page cache has it) and reaches the disk with the kernel's writeback;
    /// an fdatasync per line would cost every job. A failure is logged, loudly.
    public func record(_ entry: AuditEntry) {
        do {
            _ = try append(entry)
        } catch {
            SpoolLog.logger.error("cannot write the audit log: \(error); the \(entry.event.rawValue) line of \(entry.job?.rawValue ?? entry.session?.rawValue ?? "spool") is missing")
        }
    }

    /// Removes the files of days older than `days` (0 keeps everything).
    public func trim(retainDays days: Double, now: Timestamp = .now) {
        guard days > 0 else { return }
        let oldest = Self.day(Timestamp(nanoseconds: now.nanoseconds - Int64(days * 86400 * 1e9)))
        for name in FileSystem.list(layout.audit) where name.hasSuffix(".jsonl") {
            let day = String(name.dropLast(6))
            // Names are fixed-width dates, so text order is date order.
            if day.count == 10, day < oldest { unlink(layout.audit + "/" + name) }
        }
    }
}
