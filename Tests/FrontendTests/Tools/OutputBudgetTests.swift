@testable import Frontend
import Testing

@Suite("inline output budget")
struct OutputBudgetTests {
    @Test("both streams share one budget, the end of each first; a small stream leaves room to the other")
    func shares() {
        let budget = OutputBudget(bytes: 24 << 10)
        #expect(budget.starts(stdout: 100, stderr: 50) == (0, 0))
        let big = budget.starts(stdout: 200_000, stderr: 200_000)
        #expect(big.stdout == 200_000 - 12 << 10 && big.stderr == 200_000 - 12 << 10)
        let lopsided = budget.starts(stdout: 200_000, stderr: 1000)
        #expect(lopsided.stderr == 0)
        #expect((200_000 - lopsided.stdout) + 1000 == 24 << 10)
        let other = budget.starts(stdout: 10, stderr: 90_000)
        #expect(other.stdout == 0 && (90_000 - other.stderr) + 10 == 24 << 10)
        #expect(OutputBudget(bytes: 0).starts(stdout: 5, stderr: 5) == (5, 5))
    }

    @Test("a cut never starts inside a UTF-8 character")
    func utf8() {
        let bytes: [UInt8] = [0x9C, 0x93, 0x41] // the tail of "✓" then "A"
        #expect(Array(OutputBudget.dropPartialCharacter(bytes, cut: true).bytes) == [0x41])
        #expect(OutputBudget.dropPartialCharacter(bytes, cut: false).dropped == 0)
    }
}
