import Spool
import Testing

/// The relayed job's lifecycle in PostgreSQL, as a table: every (state, event) pair.
@Suite("Relayed job lifecycle")
struct RemoteLifecycleTests {
    /// The expected table, written out: state → event → (to, new token); missing: refused.
    static let table: [RemoteState: [RemoteEvent: (RemoteState, Bool)]] = [
        .queued: [.claim: (.claimed, true), .cancel: (.cancelled, true)],
        .claimed: [.release: (.queued, true), .reportRunning: (.running, false), .reportOutput: (.claimed, false),
                   .reportFinished: (.finished, false), .renew: (.claimed, false), .cancel: (.claimed, false)],
        .running: [.reportRunning: (.running, false), .reportOutput: (.running, false), .reportFinished: (.finished, false),
                   .renew: (.running, false), .cancel: (.running, false)],
        .finished: [:], .lost: [:], .cancelled: [:],
    ]

    @Test("every (state, event) pair, expire aside: the transition or a refusal", arguments: RemoteState.allCases)
    func pairs(_ state: RemoteState) {
        for event in RemoteEvent.allCases where event != .expire {
            let expected = Self.table[state]?[event].map { RemoteTransition(to: $0.0, newToken: $0.1) }
            #expect(RemoteLifecycle.transition(state, on: event) == expected, "\(state) on \(event)")
            #expect(RemoteLifecycle.transition(state, on: event, retriesLeft: true) == expected, "\(state) on \(event), retries left")
        }
    }

    @Test("expire: a claimed or running job waits again while it has retries, else it is lost; always under a new token")
    func expire() {
        for state in RemoteState.allCases {
            let retry = RemoteLifecycle.transition(state, on: .expire, retriesLeft: true)
            let lose = RemoteLifecycle.transition(state, on: .expire, retriesLeft: false)
            if state.isClaimed {
                #expect(retry == RemoteTransition(to: .queued, newToken: true))
                #expect(lose == RemoteTransition(to: .lost, newToken: true))
            } else {
                #expect(retry == nil && lose == nil, "\(state)")
            }
        }
    }

    @Test("a final state accepts nothing; every change of who may write gives a new token")
    func invariants() {
        for state in RemoteState.allCases where state.isFinal {
            #expect(RemoteEvent.allCases.allSatisfy { RemoteLifecycle.transition(state, on: $0) == nil })
        }
        for state in RemoteState.allCases {
            for event in RemoteEvent.allCases {
                for retriesLeft in [false, true] {
                    guard let transition = RemoteLifecycle.transition(state, on: event, retriesLeft: retriesLeft) else { continue }
                    // Leaving the claimed states for a non-final one hands the job to whoever claims next.
                    if state.isClaimed && !transition.to.isClaimed && !transition.to.isFinal { #expect(transition.newToken, "\(state) on \(event)") }
                }
            }
        }
        #expect(RemoteLifecycle.states(accepting: .claim) == [.queued])
        #expect(RemoteLifecycle.states(accepting: .reportOutput) == [.claimed, .running])
        #expect(RemoteLifecycle.states(accepting: .cancel) == [.queued, .claimed, .running])
    }
}
