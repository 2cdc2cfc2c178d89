import Foundation

/// What every job and session command may touch (DESIGN.md, "Policy"), as the person who
/// started Spool set it. No request can loosen it. Carried in each job's `status.json`
/// and results as `policy`, with what the kernel here did not enforce of it.
public struct JobPolicy: Codable, Sendable, Equatable {
    public enum Network: String, Codable, Sendable {
        case on
        case off
    }

    /// Folders a job may write in (real paths); empty means writes are not confined.
    public var write: [String]
    /// Folders inside a write root that stay read-only.
    public var readOnly: [String]
    public var network: Network
    public var memory: Int64?
    public var processes: Int64?
    public var fileSize: Int64?
    /// The parts of this policy the kernel here does not enforce (from the probe at start).
    public var notEnforced: [String]?

    public init(write: [String] = [], readOnly: [String] = [], network: Network = .on,
                memory: Int64? = nil, processes: Int64? = nil, fileSize: Int64? = nil) {
        self.write = write
        self.readOnly = readOnly
        self.network = network
        self.memory = memory
        self.processes = processes
        self.fileSize = fileSize
    }

    /// True when any part is set (then jobs also run with no_new_privs and the seccomp filter).
    public var isSet: Bool {
        !write.isEmpty || !readOnly.isEmpty || network == .off || memory != nil || processes != nil || fileSize != nil
    }

    /// The flags spool-supervisor applies (policy.c); operator values only.
    public var supervisorArguments: [String] {
        var arguments: [String] = []
        for folder in write { arguments += ["--write", folder] }
        for folder in readOnly { arguments += ["--read-only", folder] }
        if network == .off { arguments += ["--network", "off"] }
        if let memory { arguments += ["--memory", String(memory)] }
        if let processes { arguments += ["--processes", String(processes)] }
        if let fileSize { arguments += ["--file-size", String(fileSize)] }
        return arguments
    }

    /// One line for people and agents: "writes only in /w (read-only: /w/.git); network off; ...".
    public var summary: String {
        guard isSet else { return "none (jobs run with every right of the user who started Spool)" }
        var parts: [String] = []
        if !write.isEmpty {
            var text = "writes only in \(write.joined(separator: ", ")) and the job's TMPDIR"
            if !readOnly.isEmpty { text += " (read-only: \(readOnly.joined(separator: ", ")))" }
            parts.append(text)
        }
        if network == .off { parts.append("network off") }
        if let memory { parts.append("memory \(memory) bytes") }
        if let processes { parts.append("at most \(processes) processes") }
        if let fileSize { parts.append("files up to \(fileSize) bytes") }
        if let notEnforced, !notEnforced.isEmpty { parts.append("not enforced here: \(notEnforced.joined(separator: "; "))") }
        return parts.joined(separator: "; ")
    }
}

/// A policy the flags describe but Spool cannot use.
public enum PolicyProblem: Error, Equatable, CustomStringConvertible {
    case notAbsolute(flag: String, path: String)
    case notAFolder(flag: String, path: String, why: String)
    case readOnlyOutsideWriteRoots(String)
    case badNetwork(String)
    case notPositive(flag: String, value: String)

    public var description: String {
        switch self {
        case .notAbsolute(let flag, let path): "\(flag) \(path): give an absolute path"
        case .notAFolder(let flag, let path, let why): "\(flag) \(path): \(why); give an existing folder"
        case .readOnlyOutsideWriteRoots(let path):
            "--read-only \(path) is not inside any --write folder; a folder outside them is read-only already"
        case .badNetwork(let value): "--network \(value): say on or off"
        case .notPositive(let flag, let value): "\(flag) \(value): give a whole number above 0"
        }
    }
}

extension JobPolicy {
    /// Builds the policy from the flags' texts: folders must exist and are resolved to
    /// their real paths (Landlock and mounts act on the real hierarchy); a read-only folder
    /// must lie inside a write root, compared by path components.
    public static func parse(write: [String], readOnly: [String], network: String, memory: String?,
                             processes: String?, fileSize: String?) throws(PolicyProblem) -> JobPolicy {
        var policy = JobPolicy()
        policy.write = try write.map { path throws(PolicyProblem) in try realFolder(path, flag: "--write") }
        policy.readOnly = try readOnly.map { path throws(PolicyProblem) in try realFolder(path, flag: "--read-only") }
        for folder in policy.readOnly where !policy.write.contains(where: { isInside(folder, $0) }) {
            throw .readOnlyOutsideWriteRoots(folder)
        }
        guard let network = Network(rawValue: network) else { throw .badNetwork(network) }
        policy.network = network
        policy.memory = try positive(memory, flag: "--job-memory")
        policy.processes = try positive(processes, flag: "--job-processes")
        policy.fileSize = try positive(fileSize, flag: "--job-file-size")
        return policy
    }

    private static func positive(_ text: String?, flag: String) throws(PolicyProblem) -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text), value > 0 else { throw .notPositive(flag: flag, value: text) }
        return value
    }

    private static func realFolder(_ path: String, flag: String) throws(PolicyProblem) -> String {
        guard path.hasPrefix("/") else { throw .notAbsolute(flag: flag, path: path) }
        guard let resolved = realpath(path, nil) else {
            throw .notAFolder(flag: flag, path: path, why: String(cString: strerror(errno)))
        }
        defer { free(resolved) }
        let real = String(cString: resolved)
        guard FileSystem.isDirectory(real) else { throw .notAFolder(flag: flag, path: path, why: "not a folder") }
        return real
    }

    /// Whether `path` is `root` or lies below it, by whole path components.
    public static func isInside(_ path: String, _ root: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        let rootParts = root.split(separator: "/", omittingEmptySubsequences: true)
        return parts.count >= rootParts.count && Array(parts.prefix(rootParts.count)) == rootParts
    }
}
