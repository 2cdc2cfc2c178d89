import Glibc

/// A terminal job's pty, opened by its device number from outside the job (never as a
/// controlling terminal): its modes are read and its size set here. Opening the slave side
/// needs the same user as the job, as any terminal does.
public final class TerminalDevice {
    private let descriptor: Int32

    /// Opens `/dev/pts/N` for `device`; nil when it is not that device (any more).
    public init?(device: DeviceNumber) {
        let (major, minor) = (device.major, device.minor)
        // Unix98 ptys: majors 136–143, the number spread over major and minor.
        guard (136...143).contains(major) else { return nil }
        let number = (major - 136) * 256 + minor
        let fd = open("/dev/pts/\(number)", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, DeviceNumber(UInt64(info.st_rdev)) == device else {
            close(fd)
            return nil
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Echo and line mode (termios `ECHO`, `ICANON`).
    public func modes() -> (echo: Bool, canonical: Bool)? {
        var modes = termios()
        guard tcgetattr(descriptor, &modes) == 0 else { return nil }
        return ((modes.c_lflag & tcflag_t(ECHO)) != 0, (modes.c_lflag & tcflag_t(ICANON)) != 0)
    }

    /// Sets the size; the kernel sends SIGWINCH to the foreground process group.
    public func resize(_ size: TerminalSize) throws(SpoolError) {
        var window = winsize(ws_row: UInt16(size.rows), ws_col: UInt16(size.cols), ws_xpixel: 0, ws_ypixel: 0)
        guard ioctl(descriptor, UInt(TIOCSWINSZ), &window) == 0 else {
            throw .io(operation: "resizing the terminal", path: "/dev/pts", errno: errno)
        }
    }

    /// The current size.
    public func size() -> TerminalSize? {
        var window = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &window) == 0 else { return nil }
        return TerminalSize(cols: Int(window.ws_col), rows: Int(window.ws_row))
    }
}
