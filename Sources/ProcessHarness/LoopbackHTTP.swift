import Foundation
import Glibc

/// One HTTP/1.1 response, decoded as its bytes arrive: the head, then the body (chunked or
/// by Content-Length). Shared by the end-to-end tests' client and the benchmark's, which
/// differ only in how they wait for bytes (polling in tests, blocking in the benchmark).
public struct HTTPResponseDecoder {
    public private(set) var status = 0
    /// Header names in lower case.
    public private(set) var headers: [String: String] = [:]
    /// Body bytes decoded so far; readers may remove what they consumed.
    public var body: [UInt8] = []
    /// The last chunk arrived, or Content-Length bytes did.
    public private(set) var complete = false
    private var raw: [UInt8] = []
    private var chunked = false
    private var remaining = 0

    public init() {}

    public var hasHead: Bool { status != 0 }

    public mutating func feed(_ bytes: ArraySlice<UInt8>) {
        raw += bytes
        if status == 0 {
            guard let end = raw.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
            let lines = String(decoding: raw[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
            let statusWords = lines[0].split(separator: " ")
            status = statusWords.count > 1 ? Int(statusWords[1]) ?? -1 : -1
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            chunked = headers["transfer-encoding"]?.lowercased() == "chunked"
            remaining = Int(headers["content-length"] ?? "") ?? 0
            complete = !chunked && remaining == 0 && headers["content-length"] != nil
            raw.removeSubrange(..<end.upperBound)
        }
        guard chunked else {
            let take = headers["content-length"] == nil ? raw.count : min(remaining, raw.count)
            body += raw.prefix(take)
            raw.removeFirst(take)
            remaining -= take
            if headers["content-length"] != nil && remaining == 0 { complete = true }
            return
        }
        while !complete, let lineEnd = raw.firstRange(of: Array("\r\n".utf8)) {
            let size = Int(String(decoding: raw[..<lineEnd.lowerBound], as: UTF8.self), radix: 16) ?? 0
            guard raw.count >= lineEnd.upperBound + size + 2 else { return }
            body += raw[lineEnd.upperBound..<(lineEnd.upperBound + size)]
            raw.removeSubrange(..<(lineEnd.upperBound + size + 2))
            if size == 0 { complete = true }
        }
    }

    /// Starts on the next response of a keep-alive connection, keeping bytes already read.
    public mutating func next() {
        let leftover = raw
        self = HTTPResponseDecoder()
        if !leftover.isEmpty { feed(leftover[...]) }
    }
}

/// A TCP socket connected to 127.0.0.1:`port`, or nil with errno set.
public func connectLoopback(port: Int, receiveBuffer: Int32? = nil) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    if var size = receiveBuffer {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        let code = errno
        close(fd)
        errno = code
        return nil
    }
    return fd
}
