@testable import Relay
import Spool
import Testing

/// When a receiving relay asks PostgreSQL for work.
@Suite("when a worker host asks for work")
struct ClaimDemandTests {
    let x = JobID.make(), y = JobID.make(), z = JobID.make()

    @Test("at the start it cannot tell: a freed slot asks")
    func start() {
        #expect(ClaimDemand().shouldClaim(everything: false, announcedNow: false, slotFreed: true))
        #expect(!ClaimDemand().shouldClaim(everything: false, announcedNow: false, slotFreed: false))
    }

    @Test("one slot, one job at a time: after it took the one announced row, a freed slot asks nothing")
    func oneAtATime() {
        var demand = ClaimDemand()
        demand.claimed([], asked: 1, known: [], afterGap: true) // the first look found nothing
        demand.announce(x)
        #expect(demand.shouldClaim(everything: false, announcedNow: true, slotFreed: false))
        demand.claimed([x], asked: 1, known: [x], afterGap: false)
        #expect(!demand.shouldClaim(everything: false, announcedNow: false, slotFreed: true))
    }

    @Test("rows announced beyond a full claim, or while no slot was free, are asked for when a slot frees")
    func moreWaiting() {
        var demand = ClaimDemand()
        demand.claimed([], asked: 1, known: [], afterGap: true)
        for id in [x, y, z] { demand.announce(id) }
        demand.claimed([x], asked: 1, known: [x, y, z], afterGap: false)
        #expect(demand.shouldClaim(everything: false, announcedNow: false, slotFreed: true))
        // Another host took y and z: the next claim gets fewer than it asked, and all is settled.
        demand.claimed([], asked: 1, known: [y, z], afterGap: false)
        #expect(demand.announced.isEmpty)
        #expect(!demand.shouldClaim(everything: false, announcedNow: false, slotFreed: true))
    }

    @Test("an announcement during a claim is not settled by it")
    func duringClaim() {
        var demand = ClaimDemand()
        demand.claimed([], asked: 1, known: [], afterGap: true)
        demand.announce(x)
        let known = demand.announced
        demand.announce(y) // arrived while the claim ran
        demand.claimed([], asked: 2, known: known, afterGap: false)
        #expect(demand.announced == [y])
        #expect(demand.shouldClaim(everything: false, announcedNow: false, slotFreed: true))
    }

    @Test("a full look after a gap, or a failed claim, leaves it unsure: a freed slot asks")
    func unsure() {
        var demand = ClaimDemand()
        demand.claimed([], asked: 1, known: [], afterGap: true)
        demand.claimed([x], asked: 1, known: [], afterGap: true)
        #expect(demand.shouldClaim(everything: false, announcedNow: false, slotFreed: true))
        demand.claimed([], asked: 1, known: [], afterGap: false)
        demand.failed()
        #expect(demand.shouldClaim(everything: false, announcedNow: false, slotFreed: true))
    }
}
