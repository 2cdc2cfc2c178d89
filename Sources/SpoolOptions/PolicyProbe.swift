import Foundation
import Spool
import Subprocess

/// Asks `spool-supervisor probe` what the kernel here enforces of a policy: the
/// supervisor is what applies it, so it is what tries each mechanism.
public enum PolicyProbe {
    public enum Failure: Error, CustomStringConvertible {
        case cannotRun(String)

        public var description: String {
            switch self {
            case .cannotRun(let why): "cannot ask spool-supervisor what the kernel enforces: \(why)"
            }
        }
    }

    public static func run(supervisor: String, policy: JobPolicy) async throws(Failure) -> PolicyEnforcement {
        do {
            let result = try await Subprocess.run(
                .path(.init(supervisor)), arguments: Arguments(["probe"] + policy.supervisorArguments),
                output: .bytes(limit: 1 << 16), error: .bytes(limit: 1 << 16))
            guard case .exited(0) = result.terminationStatus else {
                throw Failure.cannotRun("it ended \(result.terminationStatus): \(String(decoding: result.standardError, as: UTF8.self))")
            }
            return try JSONDecoder().decode(PolicyEnforcement.self, from: Data(result.standardOutput))
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .cannotRun("\(error)")
        }
    }

    /// Without a policy there is nothing to enforce, so nothing to ask (a start stays fast).
    static func enforcement(supervisor: String, policy: JobPolicy) async throws(Failure) -> PolicyEnforcement {
        guard policy.isSet else {
            return PolicyEnforcement(landlockABI: 0, mountNamespace: false, networkNamespace: false, seccomp: false, cgroupVersion: 0, noNewPrivs: false)
        }
        return try await run(supervisor: supervisor, policy: policy)
    }

    /// The policy as jobs carry it (with what is not enforced here), its parts, and the
    /// refusal `--policy-required` asks for when a part cannot be enforced.
    public static func report(supervisor: String, policy: JobPolicy, required: Bool) async throws -> PolicyReport {
        let enforcement = try await enforcement(supervisor: supervisor, policy: policy)
        let report = PolicyReport(policy: policy, enforcement: enforcement, runsAsRoot: getuid() == 0)
        if required, !report.notEnforced.isEmpty {
            throw PolicyReport.Refusal(notEnforced: report.notEnforced)
        }
        return report
    }
}
