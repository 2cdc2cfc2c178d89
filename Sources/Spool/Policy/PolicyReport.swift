/// The policy in force and how the kernel here stands to each part: what the log,
/// `/health`, `stats` and the server instructions say, and what each job carries.
public struct PolicyReport: Codable, Sendable, Equatable {
    /// The policy as each job's `status.json` carries it (`notEnforced` filled in).
    public var policy: JobPolicy
    public var parts: [PolicyEnforcement.Part]

    public init(policy: JobPolicy, enforcement: PolicyEnforcement, runsAsRoot: Bool) {
        var policy = policy
        let notEnforced = enforcement.notEnforced(policy, runsAsRoot: runsAsRoot)
        policy.notEnforced = notEnforced.isEmpty ? nil : notEnforced
        self.policy = policy
        self.parts = enforcement.parts(of: policy, runsAsRoot: runsAsRoot)
    }

    public var notEnforced: [String] { policy.notEnforced ?? [] }

    /// For the log and the server instructions.
    public var description: String {
        guard policy.isSet else { return "Job policy: none; jobs run with every right of the user who started Spool." }
        var text = "Job policy: \(policy.summary)."
        let enforced = parts.filter(\.enforced).map { "\($0.part) (\($0.how))" }
        if !enforced.isEmpty { text += " The kernel enforces: \(enforced.joined(separator: "; "))." }
        if !notEnforced.isEmpty { text += " NOT enforced here: \(notEnforced.joined(separator: "; "))." }
        return text
    }

    /// Said when no report is at hand (a spool-mcp that starts no workers of its own).
    public static let unknown = "Job policy: set by each worker's flags; see each job's policy field."

    /// `--policy-required` with a part the kernel here cannot enforce.
    public struct Refusal: Error, CustomStringConvertible {
        public var notEnforced: [String]
        public init(notEnforced: [String]) { self.notEnforced = notEnforced }
        public var description: String {
            "--policy-required: the kernel here cannot enforce every part of the policy, so Spool does not start: \(notEnforced.joined(separator: "; "))"
        }
    }
}
