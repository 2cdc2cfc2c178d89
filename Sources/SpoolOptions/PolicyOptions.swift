import ArgumentParser
import Spool

/// The job policy flags (DESIGN.md, "Policy") of spool-mcp (which hands them to the workers
/// it starts) and spool-worker. Each has an environment twin.
public struct PolicyOptions: ParsableArguments, Sendable {
    @Option(help: "A folder jobs may write in; repeat for more. With at least one, a job writes only there, in its private TMPDIR and to the usual devices (env SPOOL_WRITE, comma-separated).")
    public var write: [String] = Settings.list("SPOOL_WRITE")

    @Option(help: "A folder inside a --write folder that stays read-only (a work tree's .git, say); repeatable (env SPOOL_READ_ONLY).")
    public var readOnly: [String] = Settings.list("SPOOL_READ_ONLY")

    @Option(help: "on or off: with off, jobs reach no network, the host's loopback included (env SPOOL_NETWORK).")
    public var network: String = Settings.environment("SPOOL_NETWORK") ?? "on"

    @Option(help: "Bytes of memory per job (a cgroup where one can be made, else RLIMIT_AS) (env SPOOL_JOB_MEMORY).")
    public var jobMemory: String? = Settings.environment("SPOOL_JOB_MEMORY")

    @Option(help: "Processes per job (a cgroup where one can be made, else RLIMIT_NPROC) (env SPOOL_JOB_PROCESSES).")
    public var jobProcesses: String? = Settings.environment("SPOOL_JOB_PROCESSES")

    @Option(help: "Bytes per file a job writes (RLIMIT_FSIZE) (env SPOOL_JOB_FILE_SIZE).")
    public var jobFileSize: String? = Settings.environment("SPOOL_JOB_FILE_SIZE")

    @Flag(help: "Refuse to start when the kernel cannot enforce every part of the policy (env SPOOL_POLICY_REQUIRED=1).")
    public var policyRequired = false

    public init() {}

    public var required: Bool { policyRequired || Settings.flag("SPOOL_POLICY_REQUIRED") }

    public func policy() throws(PolicyProblem) -> JobPolicy {
        try JobPolicy.parse(write: write, readOnly: readOnly, network: network, memory: jobMemory,
                            processes: jobProcesses, fileSize: jobFileSize)
    }

    public func validate() throws {
        do { _ = try policy() } catch { throw ValidationError(error.description) }
    }

    /// The same policy as spool-worker arguments (spool-mcp passes it to its workers).
    public var arguments: [String] {
        var arguments: [String] = []
        for folder in write { arguments += ["--write", folder] }
        for folder in readOnly { arguments += ["--read-only", folder] }
        arguments += ["--network", network]
        if let jobMemory { arguments += ["--job-memory", jobMemory] }
        if let jobProcesses { arguments += ["--job-processes", jobProcesses] }
        if let jobFileSize { arguments += ["--job-file-size", jobFileSize] }
        if required { arguments.append("--policy-required") }
        return arguments
    }
}
