import Foundation

/// What the kernel here gives, as `spool-supervisor probe` found by trying each mechanism,
/// and what that means for a policy: which parts are enforced, by what, and which are not.
/// Nothing here claims more than the probe found.
public struct PolicyEnforcement: Codable, Sendable, Equatable {
    public var landlockABI: Int
    public var mountNamespace: Bool
    public var networkNamespace: Bool
    public var seccomp: Bool
    /// 1 or 2: a cgroup per job can be made for the limits; 0: rlimits only.
    public var cgroupVersion: Int
    public var noNewPrivs: Bool

    public init(landlockABI: Int, mountNamespace: Bool, networkNamespace: Bool, seccomp: Bool, cgroupVersion: Int, noNewPrivs: Bool) {
        self.landlockABI = landlockABI
        self.mountNamespace = mountNamespace
        self.networkNamespace = networkNamespace
        self.seccomp = seccomp
        self.cgroupVersion = cgroupVersion
        self.noNewPrivs = noNewPrivs
    }

    /// One part of a policy and how it stands here.
    public struct Part: Codable, Sendable, Equatable {
        public var part: String
        public var enforced: Bool
        /// By what, or why not.
        public var how: String
    }

    /// Every part the policy asks for, enforced or not. `runsAsRoot`: RLIMIT_NPROC does
    /// not bind root, so a processes limit without a cgroup is then not enforced.
    public func parts(of policy: JobPolicy, runsAsRoot: Bool) -> [Part] {
        guard policy.isSet else { return [] }
        var parts: [Part] = []
        func add(_ part: String, _ enforced: Bool, _ how: String) { parts.append(Part(part: part, enforced: enforced, how: how)) }
        if !policy.write.isEmpty {
            if landlockABI > 0 {
                var rights = "write, remove, make"
                if landlockABI >= 2 { rights += ", refer (links and renames across folders)" }
                if landlockABI >= 3 { rights += ", truncate" }
                if landlockABI >= 5 { rights += ", ioctl on devices" }
                add("write", true, "Landlock ABI \(landlockABI) (rights: \(rights))")
            } else {
                add("write", false, "this kernel has no Landlock (or it is disabled), so writes are not confined")
            }
        }
        if !policy.readOnly.isEmpty {
            if mountNamespace && landlockABI > 0 {
                add("read-only", true, "a read-only bind mount in a mount namespace of the job's own (Landlock keeps the job from unmounting it)")
            } else if mountNamespace {
                add("read-only", false, "read-only bind mounts are made, but without Landlock a job running as root could unmount them")
            } else {
                add("read-only", false, "no mount namespace can be made here (it needs root), so read-only folders inside write roots are writable")
            }
        }
        if policy.network == .off {
            var by: [String] = []
            if seccomp { by.append("a seccomp filter that refuses every socket but AF_UNIX") }
            if networkNamespace { by.append("a network namespace of the jobs' own, without interfaces") }
            if landlockABI >= 4 { by.append("Landlock refusing TCP bind and connect") }
            if landlockABI >= 6 { by.append("Landlock refusing abstract sockets outside the job") }
            if seccomp {
                add("network", true, by.joined(separator: "; "))
            } else if networkNamespace {
                add("network", false, "only a network namespace (no seccomp here: a job running as root could enter another namespace)")
            } else {
                add("network", false, "neither seccomp nor a network namespace is available here")
            }
        }
        if let memory = policy.memory {
            if cgroupVersion > 0 {
                add("memory", true, "a cgroup v\(cgroupVersion) per job (\(memory) bytes, swap included); the kernel kills the job at the limit")
            } else {
                add("memory", true, "RLIMIT_AS (\(memory) bytes of address space per process, not of the whole job): no cgroup can be made here")
            }
        }
        if let processes = policy.processes {
            if cgroupVersion > 0 {
                add("processes", true, "a cgroup v\(cgroupVersion) per job (\(processes) processes); the job is ended when a fork fails at the limit")
            } else if runsAsRoot {
                add("processes", false, "no cgroup can be made here, and RLIMIT_NPROC does not bind root")
            } else {
                add("processes", true, "RLIMIT_NPROC (counts every process of the user, not only the job's): no cgroup can be made here")
            }
        }
        if let fileSize = policy.fileSize {
            add("file size", true, "RLIMIT_FSIZE (\(fileSize) bytes per file written)")
        }
        add("no_new_privs", noNewPrivs, noNewPrivs ? "set before the command runs (setuid programs do not gain rights)" : "the kernel refused PR_SET_NO_NEW_PRIVS")
        add("ptrace and io_uring", seccomp, seccomp ? "refused by the seccomp filter (with process_vm_* and setns)" : "no seccomp here, so they are not refused")
        if landlockABI >= 6 {
            add("signals", true, "Landlock keeps a job from signalling processes outside it (the worker, other jobs)")
        }
        add("descriptors", true, "a job inherits only its own 0-2 (close_range before exec)")
        return parts
    }

    /// The parts a policy asks for that the kernel here does not enforce.
    public func notEnforced(_ policy: JobPolicy, runsAsRoot: Bool) -> [String] {
        parts(of: policy, runsAsRoot: runsAsRoot).filter { !$0.enforced }.map { "\($0.part): \($0.how)" }
    }
}
