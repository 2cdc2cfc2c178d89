import Spool

extension TestSpool {
    /// Retention has filed away every finished job and kept a job folder among the spares
    /// (`tmp/spare/`), so the next job starts in a retired one's inodes.
    var retiredIntoSpares: Bool {
        FileSystem.list(layout.done).isEmpty && FileSystem.list(layout.spare).contains { $0.hasSuffix(".job") }
    }
}
