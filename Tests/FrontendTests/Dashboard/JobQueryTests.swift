@testable import Frontend
import Spool
import Testing

@Suite("the dashboard's job list: filters and pages")
struct JobQueryTests {
    /// 10 jobs, newest first: even ones succeeded on host a by client agent-1, odd ones failed on b by agent-2.
    static let ids: [JobID] = (0..<10).map { _ in JobID.make() }.reversed() // ids grow: reversed, newest first

    static func row(_ id: JobID) -> JobQuery.Row {
        let index = ids.firstIndex(of: id)!
        return JobQuery.Row(job: id.rawValue, state: index % 2 == 0 ? .succeeded : .failed, priority: .async,
                            command: "make target-\(index)", host: index % 2 == 0 ? "a" : "b",
                            client: index % 2 == 0 ? "agent-1" : "agent-2", createdAt: id.createdAt)
    }

    @Test("pages of `limit`, newest first, each going on after the last id of the one before; the last has no next")
    func paging() throws {
        var query = try JobQuery(fields: ["limit": "4"])
        var seen: [String] = []
        var reads = 0
        for _ in 0..<5 {
            let page = query.page(Self.ids) { reads += 1; return Self.row($0) }
            seen += page.jobs.map(\.job)
            #expect(page.total == 10)
            guard let next = page.next else { break }
            query.before = JobID(next)
        }
        #expect(seen == Self.ids.map(\.rawValue))
        #expect(reads == 10, "each job read once over all pages")
    }

    @Test("filters by state, host, client and text in the command (case-insensitive)")
    func filters() throws {
        let failed = try JobQuery(fields: ["state": "failed"]).page(Self.ids, load: Self.row)
        #expect(failed.jobs.map(\.job) == Self.ids.enumerated().filter { $0.offset % 2 == 1 }.map(\.element.rawValue))
        #expect(try JobQuery(fields: ["host": "a", "client": "agent-1"]).page(Self.ids, load: Self.row).jobs.count == 5)
        #expect(try JobQuery(fields: ["host": "a", "client": "agent-2"]).page(Self.ids, load: Self.row).jobs.isEmpty)
        #expect(try JobQuery(fields: ["q": "TARGET-3"]).page(Self.ids, load: Self.row).jobs.map(\.command) == ["make target-3"])
    }

    @Test("a page reads at most maxExamined jobs and says where to go on")
    func bounded() throws {
        let many: [JobID] = (0..<(JobQuery.maxExamined + 10)).map { _ in JobID.make() }.reversed()
        var reads = 0
        let page = try JobQuery(fields: ["q": "nothing matches this"]).page(many) { id in
            reads += 1
            return JobQuery.Row(job: id.rawValue, state: .succeeded, priority: .async, command: "true", createdAt: id.createdAt)
        }
        #expect(page.jobs.isEmpty && reads == JobQuery.maxExamined)
        #expect(page.next == many[JobQuery.maxExamined - 1].rawValue)
    }

    @Test("a field that does not parse is an error naming it")
    func invalid() {
        #expect(throws: JobQuery.QueryError.self) { try JobQuery(fields: ["state": "done"]) }
        #expect(throws: JobQuery.QueryError.self) { try JobQuery(fields: ["limit": "0"]) }
        #expect(throws: JobQuery.QueryError.self) { try JobQuery(fields: ["limit": "201"]) }
        #expect(throws: JobQuery.QueryError.self) { try JobQuery(fields: ["before": "../etc"]) }
    }

    @Test("same origin: scheme http, the same host and port as the request reached")
    func sameOrigin() {
        #expect(DashboardAPI.sameOrigin("http://127.0.0.1:8765", authority: "127.0.0.1:8765"))
        #expect(DashboardAPI.sameOrigin("http://LOCALHOST:8765", authority: "localhost:8765"))
        #expect(!DashboardAPI.sameOrigin("http://127.0.0.1:8766", authority: "127.0.0.1:8765"))
        #expect(!DashboardAPI.sameOrigin("http://localhost:8765", authority: "127.0.0.1:8765"))
        #expect(!DashboardAPI.sameOrigin("https://127.0.0.1:8765", authority: "127.0.0.1:8765"))
        #expect(!DashboardAPI.sameOrigin("null", authority: "127.0.0.1:8765"))
        #expect(!DashboardAPI.sameOrigin("http://127.0.0.1:8765", authority: nil))
    }
}
