import MCPWire
import Spool

/// `spool://backups` (`--backup`): the backup list as JSON, the same as `backup_list`
/// gives, updated after every backup. 2026-07-28 has no unsolicited log messages, so this
/// is how its clients hear of backups (DESIGN.md, Protocol revisions).
struct BackupResource: Sendable {
    let keeper: BackupKeeper
    static let uri = "spool://backups"
    static let listed = 50

    static let resource = Resource(name: "backups", uri: uri, mimeType: "application/json")

    func read() async throws(MCPError) -> ReadResourceResult {
        let list: SpoolTools.BackupListResult
        do { list = try await SpoolTools.BackupListResult(keeper, limit: Self.listed) } catch {
            throw .internalError("cannot list the backups of \(keeper.repository.workTree): \(error)")
        }
        let json: Value
        do { json = try Value(encoding: list) } catch { throw .internalError("\(error)") }
        return ReadResourceResult(uri: Self.uri, mimeType: "application/json", body: .text(json.description))
    }

    /// Followed through the keeper's notices: each backup taken changes the list.
    var subscription: ResourceSubscriptions.Target {
        let keeper = self.keeper
        return ResourceSubscriptions.Target(directory: "", name: "", changes: {
            let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let listener = await keeper.addListener { notice in
                if notice.type == "backup_completed" { continuation.yield() }
            }
            continuation.onTermination = { _ in Task { await keeper.removeListener(listener) } }
            return stream
        })
    }
}
