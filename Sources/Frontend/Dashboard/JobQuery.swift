import Spool

/// `GET /api/jobs`: which jobs a page of the dashboard's list shows. Newest first; filters
/// by state, host, client and text in the command; pages by a cursor (the last job id of
/// the previous page), so a page reads the files of the jobs it looks at and no others.
struct JobQuery: Sendable, Equatable {
    var state: JobState?
    var host: String?
    var client: String?
    /// Text the command must contain (case-insensitive).
    var search: String?
    var limit: Int = 50
    /// Only jobs older than this one (the previous page's `next`).
    var before: JobID?

    static let maxLimit = 200
    /// Jobs looked at for one page at most: a filter that matches little answers with what
    /// it found and a cursor to go on from, instead of reading the whole spool.
    static let maxExamined = 2_000

    /// What a job looks like to the list: enough to filter and show it.
    struct Row: Sendable, Codable, Equatable {
        var job: String
        var state: JobState
        var priority: Priority
        var command: String?
        var host: String?
        var client: String?
        var worker: String?
        var exitCode: Int32?
        var createdAt: Timestamp
        var startedAt: Timestamp?
        var finishedAt: Timestamp?
        var tty: Bool?
    }

    struct Page: Sendable, Codable, Equatable {
        var jobs: [Row]
        /// The cursor for the next page (`before=`), or nil at the end.
        var next: String?
        /// How many jobs the spool holds (names listed, no file read).
        var total: Int
    }

    /// Parses the query string's fields; a value that does not parse is an error naming it.
    init(fields: [String: String]) throws(QueryError) {
        if let text = fields["state"], !text.isEmpty {
            guard let state = JobState(rawValue: text) else { throw .invalid("state", text, "one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))") }
            self.state = state
        }
        host = fields["host"].flatMap { $0.isEmpty ? nil : $0 }
        client = fields["client"].flatMap { $0.isEmpty ? nil : $0 }
        search = fields["q"].flatMap { $0.isEmpty ? nil : $0 }
        if let text = fields["limit"] {
            guard let limit = Int(text), (1...Self.maxLimit).contains(limit) else { throw .invalid("limit", text, "a whole number from 1 to \(Self.maxLimit)") }
            self.limit = limit
        }
        if let text = fields["before"], !text.isEmpty {
            guard let id = JobID(text) else { throw .invalid("before", text, "a job id (the next of the previous page)") }
            before = id
        }
    }

    init() {}

    enum QueryError: Error, Equatable, CustomStringConvertible {
        case invalid(String, String, String)
        var description: String {
            switch self {
            case .invalid(let name, let value, let expected): "\(name)=\(value.prefix(60)) is not valid: expected \(expected)"
            }
        }
    }

    /// Whether `row` passes the filters.
    func matches(_ row: Row) -> Bool {
        if let state, row.state != state { return false }
        if let host, row.host != host { return false }
        if let client, row.client != client { return false }
        if let search, !(row.command ?? "").localizedCaseInsensitiveContains(search) { return false }
        return true
    }

    /// The page from `ids` (every job, newest first), loading rows with `load` (nil: the
    /// job went away meanwhile, or cannot be read: it is left out).
    func page(_ ids: [JobID], load: (JobID) -> Row?) -> Page {
        var rows: [Row] = []
        var examined = 0
        var last: JobID?
        for id in ids {
            if let before, !(id < before) { continue }
            if rows.count == limit || examined == Self.maxExamined { return Page(jobs: rows, next: last?.rawValue, total: ids.count) }
            examined += 1
            last = id
            if let row = load(id), matches(row) { rows.append(row) }
        }
        return Page(jobs: rows, next: nil, total: ids.count)
    }
}
