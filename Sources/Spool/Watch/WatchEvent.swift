import CInotifyTools

/// One file-system change, copied out of libinotifytools' static buffer.
public struct WatchEvent: Sendable, Hashable {
    /// The watched folder (no trailing slash); empty for `overflow`.
    public var directory: String
    /// The file's name inside `directory`; empty for events on the folder itself.
    public var name: String
    public var mask: UInt32

    public init(directory: String, name: String, mask: UInt32) {
        self.directory = directory
        self.name = name
        self.mask = mask
    }

    /// The kernel dropped events: whoever relies on them must rescan.
    public var isOverflow: Bool { mask & UInt32(IN_Q_OVERFLOW) != 0 }
    /// A file arrived complete (renamed in, or closed after writing).
    public var isArrival: Bool { mask & (UInt32(IN_MOVED_TO) | UInt32(IN_CLOSE_WRITE)) != 0 }
    public var path: String { name.isEmpty ? directory : directory + "/" + name }
    public var isDeparture: Bool { mask & (UInt32(IN_MOVED_FROM) | UInt32(IN_DELETE)) != 0 }
    /// A new entry: made there, or (a job folder from a spare in tmp/) renamed in.
    public var isCreation: Bool { mask & (UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)) != 0 }
    public var isModification: Bool { mask & UInt32(IN_MODIFY) != 0 }
    /// The entry is a folder (`IN_ISDIR`).
    public var isDirectory: Bool { mask & UInt32(IN_ISDIR) != 0 }
}

/// Event masks callers combine for `SpoolWatcher.watch`.
public enum WatchMask {
    public static let arrivals = UInt32(IN_MOVED_TO) | UInt32(IN_CLOSE_WRITE)
    public static let departures = UInt32(IN_MOVED_FROM) | UInt32(IN_DELETE)
    public static let changes = UInt32(IN_MODIFY)
    /// New entries: folders appear by mkdir (which is not an arrival), or, when made
    /// from a spare (`SpareInodes`), by a rename from tmp/.
    public static let creations = UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)
    /// Everything that changes what a folder holds or what its files contain.
    public static let contents = arrivals | departures | changes | creations | UInt32(IN_ATTRIB)
}
