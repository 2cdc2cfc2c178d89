import Spool

/// The screens of terminal jobs, each kept up to date by replaying only the output written
/// since the last look: the emulator's state is the checkpoint (`TerminalReplay`), so a
/// `screen` of a terminal that printed 10 MB costs what was printed since, not 10 MB.
/// After a restart of spool-mcp a screen is rebuilt once from the start of the output
/// (the output file and `tty.size` are all it needs, so any process can rebuild it).
actor TerminalScreens {
    typealias Look = TerminalReplay.Look

    let layout: SpoolLayout
    /// Screens kept at once (each is a few hundred KiB at most); the least recently looked
    /// at goes first, and is rebuilt from its output if looked at again.
    let limit: Int
    private var replays: [JobID: (replay: TerminalReplay, used: UInt64)] = [:]
    private var looks: UInt64 = 0

    init(layout: SpoolLayout, limit: Int = 32) {
        self.layout = layout
        self.limit = limit
    }

    /// The screen of job `id` (whose terminal started at `initial`) after the first `end`
    /// bytes of its output; see `TerminalReplay.look`.
    func look(_ id: JobID, initial: TerminalSize, through end: Int64, answer: Bool = true) async throws(SpoolError) -> Look {
        try await replay(id, initial: initial).look(through: end, answer: answer)
    }

    /// The replay of `id`, made (and the least recently used one dropped) when there is none.
    private func replay(_ id: JobID, initial: TerminalSize) throws(SpoolError) -> TerminalReplay {
        looks += 1
        if let kept = replays[id] {
            replays[id]?.used = looks
            return kept.replay
        }
        guard let replay = TerminalReplay(job: id, layout: layout, initial: initial) else {
            throw .io(operation: "starting a terminal emulator (libvterm) for job \(id)", path: layout.job(id), errno: 12)
        }
        if replays.count >= limit, let oldest = replays.min(by: { $0.value.used < $1.value.used })?.key {
            replays[oldest] = nil
        }
        replays[id] = (replay, looks)
        return replay
    }
}
