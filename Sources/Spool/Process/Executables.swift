import Foundation

/// Finds the package's other executables (spool-worker, spool-supervisor) next to the
/// running one, so an installed or freshly built set works without PATH changes.
public enum Executables {
    public static func sibling(_ name: String) -> String {
        // Without /proc, the path we were started by names the same folder.
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
    }
}
