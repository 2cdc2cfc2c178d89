import Foundation
import Spool
import Testing

@Suite("Job policy: parsing the flags, and what a probe's findings enforce")
struct JobPolicyTests {
    @Test("folders must exist and are resolved; a read-only folder must lie inside a write root, by whole components")
    func parsing() throws {
        let scratch = try ScratchSpool()
        let work = scratch.layout.root + "/work", git = work + "/.git", sibling = scratch.layout.root + "/work2"
        for folder in [work, git, sibling] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let real = URL(fileURLWithPath: work).resolvingSymlinksInPath().path
        let policy = try JobPolicy.parse(write: [work + "/./"], readOnly: [git], network: "off", memory: "1000", processes: "50", fileSize: nil)
        #expect(policy.write == [real] && policy.readOnly == [real + "/.git"] && policy.network == .off)
        #expect(policy.memory == 1000 && policy.processes == 50 && policy.fileSize == nil && policy.isSet)
        #expect(policy.supervisorArguments == ["--write", real, "--read-only", real + "/.git", "--network", "off", "--memory", "1000", "--processes", "50"])

        #expect(throws: PolicyProblem.readOnlyOutsideWriteRoots(URL(fileURLWithPath: sibling).resolvingSymlinksInPath().path)) {
            try JobPolicy.parse(write: [work], readOnly: [sibling], network: "on", memory: nil, processes: nil, fileSize: nil)
        }
        #expect(throws: PolicyProblem.notAbsolute(flag: "--write", path: "work")) {
            try JobPolicy.parse(write: ["work"], readOnly: [], network: "on", memory: nil, processes: nil, fileSize: nil)
        }
        #expect(throws: PolicyProblem.badNetwork("maybe")) {
            try JobPolicy.parse(write: [], readOnly: [], network: "maybe", memory: nil, processes: nil, fileSize: nil)
        }
        #expect(throws: PolicyProblem.notPositive(flag: "--job-processes", value: "0")) {
            try JobPolicy.parse(write: [], readOnly: [], network: "on", memory: nil, processes: "0", fileSize: nil)
        }
        #expect(throws: (any Error).self) {
            try JobPolicy.parse(write: [work + "/missing"], readOnly: [], network: "on", memory: nil, processes: nil, fileSize: nil)
        }
        #expect(!JobPolicy().isSet)
    }

    @Test("inside means whole path components, never a prefix of the text")
    func inside() {
        #expect(JobPolicy.isInside("/w/.git", "/w"))
        #expect(JobPolicy.isInside("/w", "/w"))
        #expect(!JobPolicy.isInside("/w2/.git", "/w"))
        #expect(!JobPolicy.isInside("/", "/w"))
        #expect(JobPolicy.isInside("/w", "/"))
    }

    static let everything = PolicyEnforcement(landlockABI: 7, mountNamespace: true, networkNamespace: true, seccomp: true, cgroupVersion: 1, noNewPrivs: true)
    static let recipe = JobPolicy(write: ["/w"], readOnly: ["/w/.git"], network: .off, memory: 1 << 30, processes: 100, fileSize: 1 << 20)

    @Test("with every mechanism, every part is enforced and says by what")
    func allEnforced() {
        let parts = Self.everything.parts(of: Self.recipe, runsAsRoot: true)
        #expect(parts.allSatisfy { $0.enforced })
        #expect(parts.first { $0.part == "write" }?.how.contains("Landlock ABI 7") == true)
        #expect(parts.first { $0.part == "network" }?.how.contains("seccomp") == true)
        #expect(parts.first { $0.part == "processes" }?.how.contains("cgroup v1") == true)
        #expect(Self.everything.notEnforced(Self.recipe, runsAsRoot: true).isEmpty)
        #expect(Self.everything.parts(of: JobPolicy(), runsAsRoot: true).isEmpty, "no policy, no claims")
    }

    @Test("without a mechanism, the part is reported as not enforced, never claimed")
    func missing() {
        var none = Self.everything
        none.landlockABI = 0
        #expect(none.notEnforced(Self.recipe, runsAsRoot: true).contains { $0.hasPrefix("write:") })
        #expect(none.notEnforced(Self.recipe, runsAsRoot: true).contains { $0.hasPrefix("read-only:") }, "a bind mount alone does not hold against root")
        var noSeccomp = Self.everything
        noSeccomp.seccomp = false
        let notEnforced = noSeccomp.notEnforced(Self.recipe, runsAsRoot: true)
        #expect(notEnforced.contains { $0.hasPrefix("network:") } && notEnforced.contains { $0.hasPrefix("ptrace and io_uring:") })
        var noCgroup = Self.everything
        noCgroup.cgroupVersion = 0
        #expect(noCgroup.notEnforced(Self.recipe, runsAsRoot: true) == ["processes: no cgroup can be made here, and RLIMIT_NPROC does not bind root"])
        #expect(noCgroup.notEnforced(Self.recipe, runsAsRoot: false).isEmpty, "RLIMIT_NPROC binds other users")
        #expect(noCgroup.parts(of: Self.recipe, runsAsRoot: false).first { $0.part == "memory" }?.how.contains("RLIMIT_AS") == true)
    }

    @Test("the report fills in what is not enforced, and the refusal names it")
    func report() {
        var none = Self.everything
        none.landlockABI = 0
        let report = PolicyReport(policy: Self.recipe, enforcement: none, runsAsRoot: true)
        #expect(report.policy.notEnforced?.first?.hasPrefix("write:") == true)
        #expect(report.description.contains("NOT enforced here: write:"))
        #expect(PolicyReport.Refusal(notEnforced: report.notEnforced).description.contains("--policy-required"))
    }

    @Test("a limit in the exit record fails the job with the limit's name; SIGXFSZ names the file-size limit")
    func limitOutcomes() {
        var exit = SupervisorExit(pid: 1, exitCode: 0, signal: nil, timedOut: false, cancelled: false, startedAtNs: 0, finishedAtNs: 1)
        exit.limit = "processes"
        guard case .failed(let reason, _, _) = JobOutcome(exit) else { Issue.record("a job that hit a limit succeeded"); return }
        #expect(reason.contains("processes limit"))
        #expect(exit.state == .failed)
        var status = JobStatus(job: .make(), state: .running, priority: .sync, createdAt: .now)
        status.policy = Self.recipe
        let origin = JobOrigin(job: status.job, priority: .sync)
        let ended = JobLifecycle.finalStatus(origin, worker: nil, previous: status,
                                             ending: JobEnding(outcome: .exited(code: 128 + SIGXFSZ), finishedAt: .now),
                                             stdoutBytes: 0, stderrBytes: 0)
        #expect(ended.reason?.contains("file-size limit") == true)
        #expect(ended.policy == Self.recipe, "the final record keeps the policy")
    }
}
