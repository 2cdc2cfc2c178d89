import Foundation
import MCPWire
import Synchronization

/// Writes whole lines to a file descriptor, one writer at a time, so JSON-RPC messages
/// from concurrent requests and the reader's own error replies never interleave.
final class LineWriter: Sendable {
    private let fd: Int32
    private let lock = Mutex(())

    init(fd: Int32) {
        self.fd = fd
    }

    /// One JSON-RPC message as one line. False when the reader is gone (EPIPE).
    @discardableResult
    func write(_ message: Value) -> Bool {
        var bytes = JSONWriter.bytes(message)
        bytes.append(UInt8(ascii: "\n"))
        return lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }
}
