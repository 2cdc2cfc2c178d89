import Spool

/// One terminal's emulator and how far into its output it has read: the checkpoint a
/// look goes on from. An actor of its own, so that a long replay (the first look after a
/// restart) holds up only looks at this terminal.
actor TerminalReplay {
    struct Look: Sendable {
        var screen: TerminalScreen
        /// How many bytes of `stdout` it reflects.
        var offset: Int64
        /// Whether it differs from the previous answer for this job's screen.
        var changed: Bool
        var size: TerminalSize
    }

    let job: JobID
    let layout: SpoolLayout
    private let emulator: TerminalEmulator
    private(set) var offset: Int64 = 0
    private var sizesApplied = 0
    private var last: TerminalScreen?
    static let chunk = 1 << 20

    init?(job: JobID, layout: SpoolLayout, initial: TerminalSize) {
        guard let emulator = TerminalEmulator(size: initial) else { return nil }
        self.job = job
        self.layout = layout
        self.emulator = emulator
    }

    /// The screen after the first `end` bytes of output, each byte drawn at the size it
    /// was written for (`tty.size`). `answer`: this look is a `screen` answer, which the
    /// next one's `changed` compares with (a resource read is not).
    func look(through end: Int64, answer: Bool) throws(SpoolError) -> Look {
        let changes = TerminalSizeLog(layout: layout, job: job).changes()
        let path = layout.job(job, .stdout)
        while true {
            while sizesApplied < changes.count, changes[sizesApplied].offset <= offset {
                emulator.resize(changes[sizesApplied].size)
                sizesApplied += 1
            }
            guard offset < end else { break }
            // Fed up to the next resize at most.
            let stop = sizesApplied < changes.count ? min(end, changes[sizesApplied].offset) : end
            let bytes = try FileSystem.read(path, offset: offset, limit: Int(min(stop - offset, Int64(Self.chunk)))) ?? []
            if bytes.isEmpty { break }
            emulator.feed(bytes[...])
            offset += Int64(bytes.count)
        }
        let screen = emulator.screen()
        defer { if answer { last = screen } }
        return Look(screen: screen, offset: offset, changed: last != screen, size: emulator.size)
    }
}
