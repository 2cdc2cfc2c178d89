/// Following one file by its name, as `tail -F` does: the rule, without I/O.
///
/// The follower holds the file open. On every change it reports the held file's identity
/// now and what the name points to now; the machine answers with what to read and what
/// to announce. A held file that shrank was truncated (following restarts at 0). A name
/// that now points to another file was rotated: the held file is read to its end first,
/// then the new one from 0, so no byte is skipped or repeated across the rotation.
public struct FileFollow: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// Reading the file the name points to; `offset` bytes of it were handed out.
        case following(FileIdentity, offset: Int64)
        /// The name points elsewhere or nowhere; the held file was read to `offset`.
        case detached(FileIdentity, offset: Int64)
    }

    public enum Action: Sendable, Equatable {
        /// Read the held file's bytes in this range and hand them out.
        case read(from: Int64, to: Int64)
        /// Announce that the held file shrank below what was read: it was truncated.
        case truncated(previousOffset: Int64)
        /// Announce that the name now points to a new file, after `previousEnd` bytes of the old.
        case rotated(previousEnd: Int64)
        /// Open the name again and call `reopened`.
        case reopen
        /// Announce that the name is gone (the held file is kept until a new one appears).
        case removed
    }

    public private(set) var state: State

    /// Starts following `file`, handing out what is written after `offset`.
    public init(_ file: FileIdentity, offset: Int64) {
        state = .following(file, offset: offset)
    }

    public var offset: Int64 {
        switch state {
        case .following(_, let offset), .detached(_, let offset): offset
        }
    }

    /// - Parameters:
    ///   - held: the held descriptor's identity now.
    ///   - named: what the followed name points to now (nil: nothing).
    public mutating func observe(held: FileIdentity, named: FileIdentity?) -> [Action] {
        var actions: [Action] = []
        var offset = self.offset
        let wasFollowing: Bool
        switch state {
        case .following: wasFollowing = true
        case .detached: wasFollowing = false
        }
        if held.size < offset {
            actions.append(.truncated(previousOffset: offset))
            offset = 0
        }
        if held.size > offset {
            actions.append(.read(from: offset, to: held.size))
            offset = held.size
        }
        switch named {
        case let named? where named.isSameFile(as: held):
            state = .following(held, offset: offset)
        case let named? where named.isRegular:
            actions += [.rotated(previousEnd: offset), .reopen]
            state = .detached(held, offset: offset)
        default:
            if wasFollowing { actions.append(.removed) }
            state = .detached(held, offset: offset)
        }
        return actions
    }

    /// The name was opened again (after `.reopen`): follows the new file from its start.
    public mutating func reopened(_ file: FileIdentity) -> [Action] {
        state = .following(file, offset: file.size)
        return file.size > 0 ? [.read(from: 0, to: file.size)] : []
    }

    /// The reader handed out less than a `.read` asked for (it holds back a split UTF-8
    /// character until its last bytes are written): following resumes at `offset`.
    public mutating func handedOut(upTo offset: Int64) {
        switch state {
        case .following(let file, let current) where offset < current: state = .following(file, offset: offset)
        case .detached(let file, let current) where offset < current: state = .detached(file, offset: offset)
        default: break
        }
    }
}
