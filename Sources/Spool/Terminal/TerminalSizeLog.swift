import Glibc

/// `jobs/<id>/tty.size`: when a terminal job was resized, so that its screen can be
/// replayed from its output by any process: each line is "OFFSET COLS ROWS", the size of
/// `stdout` when the new size took effect. Appended with O_APPEND (a line is one write,
/// so lines never interleave); read whole (a few lines).
public struct TerminalSizeLog: Sendable {
    public struct Change: Sendable, Equatable {
        public var offset: Int64
        public var size: TerminalSize

        public init(offset: Int64, size: TerminalSize) {
            self.offset = offset
            self.size = size
        }
    }

    let path: String

    public init(layout: SpoolLayout, job: JobID) {
        path = layout.job(job, .terminalSizes)
    }

    public func append(_ change: Change) throws(SpoolError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw .io(operation: "recording the terminal's size", path: path, errno: errno) }
        defer { close(fd) }
        try FileSystem.write(fd: fd, Array("\(change.offset) \(change.size.cols) \(change.size.rows)\n".utf8), path: path)
    }

    /// The changes in the order they were made; lines that do not parse are skipped.
    public func changes() -> [Change] {
        guard let bytes = try? FileSystem.read(path, limit: 1 << 20) else { return [] }
        return Self.parse(String(decoding: bytes, as: UTF8.self))
    }

    static func parse(_ text: String) -> [Change] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let offset = Int64(fields[0]), let cols = Int(fields[1]), let rows = Int(fields[2]) else { return nil }
            let size = TerminalSize(cols: cols, rows: rows)
            return size.isValid && offset >= 0 ? Change(offset: offset, size: size) : nil
        }
    }
}
