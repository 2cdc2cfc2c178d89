import Foundation

/// `spool/host.json`: the host name this spool serves in a many-hosts setup, and an id
/// of the spool itself. The id goes with every claim this spool's receiving relay makes in
/// PostgreSQL, so that a relay gives back only claims that provably never reached its own
/// spool, never those of another spool that happens to serve the same name.
public struct HostRecord: Codable, Sendable, Equatable {
    public var host: String
    public var spool: String

    public init(host: String, spool: String) {
        self.host = host
        self.spool = spool
    }

    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case servesAnother(spool: String, host: String, wanted: String, inFlight: Int)

        public var description: String {
            switch self {
            case .servesAnother(let spool, let host, let wanted, let inFlight):
                "the spool \(spool) serves host \(host) (spool/host.json) and still holds \(inFlight) job(s) in queue/ or active/; "
                    + "let them finish before it serves \(wanted), or pass --host \(host)"
            }
        }
    }

    /// The record for serving `name`: the one on disk when it names `name`; a new one (with
    /// a new spool id) when there is none; the name changed (same id) when the spool holds
    /// no job in `queue/` or `active/`. Otherwise the spool refuses the new name: its jobs
    /// in flight were claimed under the old one.
    public static func serve(_ name: String, layout: SpoolLayout) throws -> HostRecord {
        let existing = try SpoolJSON.load(HostRecord.self, from: layout.hostRecord)
        if let existing, existing.host == name { return existing }
        if let existing {
            let inFlight = inFlightCount(layout)
            guard inFlight == 0 else {
                throw Refusal.servesAnother(spool: layout.root, host: existing.host, wanted: name, inFlight: inFlight)
            }
        }
        let record = HostRecord(host: name, spool: existing?.spool ?? UUID().uuidString.lowercased())
        try AtomicFile.write(json: record, to: layout.hostRecord, layout: layout)
        return record
    }

    static func inFlightCount(_ layout: SpoolLayout) -> Int {
        let queued = Priority.allCases.reduce(0) { $0 + FileSystem.list(layout.queue($1)).count }
        let claimed = FileSystem.list(layout.active).reduce(0) { $0 + FileSystem.list(layout.active + "/" + $1).count }
        return queued + claimed
    }
}
