import Foundation
import Spool

/// The job policy this worker's jobs and session shells run under, and the supervisor that
/// applies it (policy.c).
struct Confinement: Sendable {
    let supervisor: String
    /// As jobs carry it in `status.json` (with what the kernel here does not enforce).
    let policy: JobPolicy

    /// The policy's folders must be absolute for the supervisor; the spool may be given relative.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
