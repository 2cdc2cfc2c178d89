import Spool

/// The screens of terminal jobs, each kept up to date by replaying only the output written
/// since the last look: the emulator's state is the checkpoint, so a `screen` of a terminal
/// that printed 10 MB costs what was printed since, not 10 MB. After a restart of
/// spool-mcp a screen is rebuilt once from the start of the output (the output file and
/// `tty.size` are all it needs, so any process can rebuild it).
actor TerminalScreens {
    struct Look: Sendable {
        var screen: TerminalScreen
        /// How many bytes of `stdout` it reflects.
        var offset: Int64
        /// Whether it differs from the previous look at this job's screen.
        var changed: Bool
        var size: TerminalSize
    }

    private final class Replay {
        let emulator: TerminalEmulator
        var offset: Int64 = 0
        var sizesApplied = 0
        var last: TerminalScreen?
        var used: UInt64 = 0

        init(emulator: TerminalEmulator) { self.emulator = emulator }
    }

    let layout: SpoolLayout
    /// Screens kept at once (each is a few hundred KiB at most); the least recently looked
    /// at goes first, and is rebuilt from its output if looked at again.
    let limit: Int
    private var replays: [JobID: Replay] = [:]
    private var looks: UInt64 = 0
    static let chunk = 1 << 20

    init(layout: SpoolLayout, limit: Int = 32) {
        self.layout = layout
        self.limit = limit
    }

    /// The screen of job `id` (whose terminal started at `initial`) after the first `end`
    /// bytes of its output. `answer`: this look is a `screen` answer, which the next one's
    /// `changed` compares with (a resource read is not).
    func look(_ id: JobID, initial: TerminalSize, through end: Int64, answer: Bool = true) throws(SpoolError) -> Look {
        let replay = try self.replay(id, initial: initial, through: end)
        let changes = TerminalSizeLog(layout: layout, job: id).changes()
        let path = layout.job(id, .stdout)
        while true {
            while replay.sizesApplied < changes.count, changes[replay.sizesApplied].offset <= replay.offset {
                replay.emulator.resize(changes[replay.sizesApplied].size)
                replay.sizesApplied += 1
            }
            guard replay.offset < end else { break }
            // Fed up to the next resize at most, so each byte is drawn at the size it was written for.
            let stop = replay.sizesApplied < changes.count ? min(end, changes[replay.sizesApplied].offset) : end
            let bytes = try FileSystem.read(path, offset: replay.offset, limit: Int(min(stop - replay.offset, Int64(Self.chunk)))) ?? []
            if bytes.isEmpty { break }
            replay.emulator.feed(bytes[...])
            replay.offset += Int64(bytes.count)
        }
        let screen = replay.emulator.screen()
        defer { if answer { replay.last = screen } }
        return Look(screen: screen, offset: replay.offset, changed: replay.last != screen, size: replay.emulator.size)
    }

    /// The replay of `id`, made (and an old one dropped) when there is none that can go on
    /// to `end`.
    private func replay(_ id: JobID, initial: TerminalSize, through end: Int64) throws(SpoolError) -> Replay {
        looks += 1
        if let replay = replays[id], replay.offset <= end {
            replay.used = looks
            return replay
        }
        guard let emulator = TerminalEmulator(size: initial) else {
            throw .io(operation: "starting a terminal emulator (libvterm) for job \(id)", path: layout.job(id), errno: 12)
        }
        if replays.count >= limit, let oldest = replays.min(by: { $0.value.used < $1.value.used })?.key {
            replays[oldest] = nil
        }
        let replay = Replay(emulator: emulator)
        replay.used = looks
        replays[id] = replay
        return replay
    }

    /// Forgets a job's screen (its job was removed).
    func forget(_ id: JobID) {
        replays[id] = nil
    }
}
