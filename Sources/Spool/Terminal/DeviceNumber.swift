/// A device's major and minor numbers. Swift does not import glibc's `major`/`minor`
/// macros, so the `dev_t` layout is decoded here as glibc does.
public struct DeviceNumber: Sendable, Equatable, Hashable {
    public var major: UInt32
    public var minor: UInt32

    public init(major: UInt32, minor: UInt32) {
        self.major = major
        self.minor = minor
    }

    /// `/dev/tty`: whichever terminal controls the process that opens it.
    public static let controllingTerminal = DeviceNumber(major: 5, minor: 0)

    /// From a `dev_t` (`st_rdev`).
    public init(_ device: UInt64) {
        major = UInt32(((device >> 8) & 0xFFF) | ((device >> 32) & ~0xFFF))
        minor = UInt32((device & 0xFF) | ((device >> 12) & ~0xFF))
    }

    /// From `/proc/<pid>/stat`'s `tty_nr`: major in bits 8–15, minor in 0–7 and 20–31.
    public init(ttyNumber: UInt32) {
        major = (ttyNumber >> 8) & 0xFF
        minor = (ttyNumber & 0xFF) | ((ttyNumber >> 12) & 0xFFF00)
    }
}
