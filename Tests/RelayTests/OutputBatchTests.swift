import Testing
@testable import Relay

@Suite struct OutputBatchTests {
    let start = ContinuousClock.now

    @Test func nothingUnsentMeansNothingToSend() {
        #expect(OutputBatch().decide(unsent: 0, ended: true, now: start) == .nothing)
    }

    @Test func aLineWaitsUpToTheDelayForMore() {
        var batch = OutputBatch()
        batch.noteGrowth(at: start)
        #expect(batch.decide(unsent: 10, ended: false, now: start + .milliseconds(5)) == .sendAt(start + OutputBatch.delay))
        #expect(batch.decide(unsent: 10, ended: false, now: start + OutputBatch.delay) == .sendNow)
    }

    @Test func aWholeChunkOrTheEndGoesAtOnce() {
        var batch = OutputBatch()
        batch.noteGrowth(at: start)
        #expect(batch.decide(unsent: Int64(OutputBatch.chunk), ended: false, now: start) == .sendNow)
        #expect(batch.decide(unsent: 1, ended: true, now: start) == .sendNow)
    }

    @Test func laterGrowthDoesNotPostponeTheFirstBytes() {
        var batch = OutputBatch()
        batch.noteGrowth(at: start)
        batch.noteGrowth(at: start + .milliseconds(15))
        #expect(batch.waitingSince == start)
    }
}

@Suite struct ClaimRecoveryTests {
    @Test func aClaimWithNoLocalTraceNeverStartedAndIsGivenBack() {
        #expect(ClaimRecovery.fate(token: 5, local: .none, ownSpool: true) == .release)
    }

    @Test func aClaimThisHostRecordedIsFollowedAgain() {
        #expect(ClaimRecovery.fate(token: 5, local: .claimed(token: 5), ownSpool: true) == .resume)
    }

    @Test func localFilesOfAnotherClaimAreLeftToTheLease() {
        #expect(ClaimRecovery.fate(token: 6, local: .claimed(token: 5), ownSpool: true) == .ignore)
    }

    /// Another spool that served the same name made the claim: no local trace proves
    /// nothing there, so it is never given back (it may be running on that spool).
    @Test func anotherSpoolsClaimIsNeverGivenBack() {
        for local in [ClaimRecovery.LocalTrace.none, .claimed(token: 5), .claimed(token: 6)] {
            #expect(ClaimRecovery.fate(token: 5, local: local, ownSpool: false) == .ignore)
        }
    }
}

@Suite struct PostgresURLTests {
    @Test func allParts() throws {
        let url = try PostgresURL(parsing: "postgres://spool:s%40cret@db.example:6543/jobs")
        #expect(url.host == "db.example" && url.port == 6543 && url.user == "spool" && url.password == "s@cret" && url.database == "jobs")
        #expect(!url.requireTLS)
        #expect(!url.description.contains("cret"), "logs never show the password")
    }

    @Test func defaultsAndIPv6() throws {
        let url = try PostgresURL(parsing: "postgresql://[::1]/")
        #expect(url.host == "::1" && url.port == 5432 && url.user == "postgres" && url.database == nil)
        #expect(try PostgresURL(parsing: "postgres://h/d?sslmode=require").requireTLS)
    }

    @Test func refusals() {
        #expect(throws: PostgresURL.Problem.scheme("mysql")) { try PostgresURL(parsing: "mysql://h/d") }
        #expect(throws: PostgresURL.Problem.noHost) { try PostgresURL(parsing: "postgres:///d") }
        #expect(throws: PostgresURL.Problem.sslmode("verify-full")) { try PostgresURL(parsing: "postgres://h/d?sslmode=verify-full") }
        #expect(throws: PostgresURL.Problem.self) { try PostgresURL(parsing: "not a url") }
    }
}
