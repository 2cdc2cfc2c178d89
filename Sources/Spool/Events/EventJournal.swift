import Glibc

/// Appends events to `events/journal`, numbering them. Only the holder of
/// `events/journal.lock` writes (see `EventJournalWriter.open`), so ids never collide.
///
/// Each batch is one `write(2)` of whole lines on an `O_APPEND` descriptor, so readers see
/// whole lines; a line torn by a crash is ended before the next append and then skipped by
/// readers as unreadable.
public final class EventJournalWriter {
    /// The journal is rotated (`journal` → `journal.1`, dropping the older one) past this
    /// size, which bounds the disk it takes and how far back a client can resume.
    public static let defaultRotationBytes: Int64 = 8 << 20

    public let layout: SpoolLayout
    public let rotationBytes: Int64
    public private(set) var lastID: UInt64
    private var descriptor: Int32
    private var size: Int64
    private let lock: FileLock

    /// Opens the journal for appending if no other process holds its lock; nil if one does.
    public static func open(_ layout: SpoolLayout, rotationBytes: Int64 = defaultRotationBytes) throws(SpoolError) -> EventJournalWriter? {
        try FileSystem.makeDirectory(layout.events)
        guard let lock = try FileLock.tryAcquire(layout.eventJournalLock) else { return nil }
        let lastID = EventJournal.readAll(layout).last?.id ?? 0
        return try EventJournalWriter(layout: layout, lock: lock, lastID: lastID, rotationBytes: rotationBytes)
    }

    private init(layout: SpoolLayout, lock: FileLock, lastID: UInt64, rotationBytes: Int64) throws(SpoolError) {
        self.layout = layout
        self.lock = lock
        self.lastID = lastID
        self.rotationBytes = rotationBytes
        (descriptor, size) = try Self.openForAppend(layout.eventJournal)
        if size > 0, let last = try FileSystem.read(layout.eventJournal, offset: size - 1, limit: 1), last != [10] {
            try FileSystem.write(fd: descriptor, [10], path: layout.eventJournal)
            size += 1
        }
    }

    private static func openForAppend(_ path: String) throws(SpoolError) -> (Int32, Int64) {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(operation: "opening the event journal", path: path, errno: errno) }
        var info = stat()
        fstat(fd, &info)
        return (fd, Int64(info.st_size))
    }

    /// Numbers `events` and appends them; returns them with their ids.
    @discardableResult
    public func append(_ events: [SpoolEvent]) throws(SpoolError) -> [SpoolEvent] {
        guard !events.isEmpty else { return [] }
        var numbered = events
        var bytes: [UInt8] = []
        for index in numbered.indices {
            numbered[index].id = lastID + UInt64(index) + 1
            bytes += try SpoolJSON.encode(numbered[index])
        }
        if size + Int64(bytes.count) > rotationBytes && size > 0 { try rotate() }
        try FileSystem.write(fd: descriptor, bytes, path: layout.eventJournal)
        size += Int64(bytes.count)
        lastID += UInt64(numbered.count)
        return numbered
    }

    private func rotate() throws(SpoolError) {
        _ = try FileSystem.rename(layout.eventJournal, to: layout.previousEventJournal)
        close(descriptor)
        (descriptor, size) = try Self.openForAppend(layout.eventJournal)
    }

    deinit { close(descriptor) }
}

public enum EventJournal {
    /// Every readable event still on disk, oldest first (`journal.1`, then `journal`).
    public static func readAll(_ layout: SpoolLayout) -> [SpoolEvent] {
        var events: [SpoolEvent] = []
        for path in [layout.previousEventJournal, layout.eventJournal] {
            // Replaying history at start: a missing or unreadable journal means no history, and
            // the recorder then reconciles with the spool itself.
            guard let bytes = try? FileSystem.read(path, limit: Int(EventJournalWriter.defaultRotationBytes) * 2) else { continue }
            for line in bytes.split(separator: 10) {
                if let event = try? SpoolJSON.decode(SpoolEvent.self, from: Array(line), path: path) { events.append(event) } // a torn last line after a crash
            }
        }
        return events
    }
}

/// Follows the journal from a cursor, across rotations, never holding more than one read
/// block in memory: a client that reads slowly just lags in the file. If rotation drops
/// events it had not read yet, `read` reports them as skipped.
public final class EventJournalReader {
    public struct Batch: Sendable {
        public var events: [SpoolEvent] = []
        /// Ids that were lost before this reader got to them (rotated away).
        public var skipped: ClosedRange<UInt64>?
    }

    private let layout: SpoolLayout
    private var descriptor: Int32 = -1
    private var inode: ino_t = 0
    private var position: Int64 = 0
    private var pending: [UInt8] = []
    /// The id of the last event handed out (or skipped); nil until the first one.
    public private(set) var cursor: UInt64?

    /// - Parameter after: resume after this id (`Last-Event-ID`); nil starts at the end,
    ///   so only new events follow.
    public init(layout: SpoolLayout, after: UInt64?) {
        self.layout = layout
        cursor = after
        if after == nil {
            if open(layout.eventJournal) {
                var info = stat()
                fstat(descriptor, &info)
                position = Int64(info.st_size)
            }
        } else if !open(layout.previousEventJournal) {
            _ = open(layout.eventJournal)
        }
    }

    private func open(_ path: String) -> Bool {
        guard let fd = try? FileSystem.openRegular(path) else { return false }
        if descriptor >= 0 { Glibc.close(descriptor) }
        var info = stat()
        fstat(fd, &info)
        descriptor = fd
        inode = info.st_ino
        position = 0
        pending = []
        return true
    }

    /// The events written since the last call (at most about `maxBytes` of journal).
    public func read(maxBytes: Int = 256 << 10) -> Batch {
        var batch = Batch()
        var budget = maxBytes
        while budget > 0 {
            if descriptor < 0 {
                guard open(layout.eventJournal) else { break }
            }
            var buffer = [UInt8](repeating: 0, count: min(budget, 64 << 10))
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(position)) }
            if count <= 0 {
                // At the end of our file: if the journal was rotated, the new one goes on.
                var current = stat()
                guard stat(layout.eventJournal, &current) == 0, current.st_ino != inode else { break }
                guard open(layout.eventJournal) else { break }
                continue
            }
            position += Int64(count)
            budget -= count
            pending += buffer[0..<count]
            guard let lastNewline = pending.lastIndex(of: 10) else { continue }
            for line in pending[...lastNewline].split(separator: 10) {
                guard let event = try? SpoolJSON.decode(SpoolEvent.self, from: Array(line), path: layout.eventJournal) else { continue } // a torn last line after a crash
                if let cursor, event.id <= cursor { continue }
                if let cursor, event.id > cursor + 1 {
                    let lost = (cursor + 1)...(event.id - 1)
                    batch.skipped = batch.skipped.map { min($0.lowerBound, lost.lowerBound)...lost.upperBound } ?? lost
                }
                cursor = event.id
                batch.events.append(event)
            }
            pending.removeSubrange(...lastNewline)
        }
        return batch
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }
}
