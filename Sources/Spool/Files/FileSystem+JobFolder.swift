extension FileSystem {
    /// Makes `jobs/<id>/`, from a retired job's folder (`SpareInodes`, with its empty
    /// `stdout`, `stderr` and exit record reserve) when there is one. An existing folder is
    /// left as it was: the rename never replaces one (`RENAME_NOREPLACE`).
    public static func makeJobFolder(_ id: JobID, layout: SpoolLayout) throws(SpoolError) {
        let path = layout.job(id)
        switch SpareInodes.takeJobFolder(as: path, layout: layout) {
        case .taken, .exists: return
        case .none: try makeDirectory(path)
        }
    }
}
