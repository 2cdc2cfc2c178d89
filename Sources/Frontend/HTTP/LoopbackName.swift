import Foundation
import Glibc

/// Decides whether a host name a client sent names this machine's loopback interface.
///
/// A rebinding web page controls its own DNS name, so only names whose meaning no DNS
/// server can change count: an IP literal in 127.0.0.0/8, `::1` (also written as the
/// v4-mapped `::ffff:127.x.y.z`), or the name `localhost` itself. The text is parsed with
/// `inet_pton`, which accepts only the full dotted-quad and RFC 4291 forms: never a
/// prefix test (`127.evil.example` starts with `127.` and is an attacker's name).
enum LoopbackName {
    /// `host` as it stands in a URL or `Host` header: IPv6 in brackets, IPv4 bare, or a name.
    static func isLoopback(urlHost host: String) -> Bool {
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return false }
            return isLoopbackIPv6(String(host.dropFirst().dropLast()))
        }
        return isLoopback(bareHost: host)
    }

    /// `host` as given to `--http`: IPv6 without brackets.
    static func isLoopback(bareHost host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        if isLoopbackIPv4(host) { return true }
        return host.contains(":") && isLoopbackIPv6(host)
    }

    static func isLoopbackIPv4(_ text: String) -> Bool {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return false }
        // s_addr is in network order: its first byte in memory is the first octet.
        return withUnsafeBytes(of: address) { $0[0] } == 127
    }

    static func isLoopbackIPv6(_ text: String) -> Bool {
        // A zone (`::1%lo`) is not part of a URL host a browser sends; refuse it.
        guard !text.contains("%") else { return false }
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return false }
        let bytes = withUnsafeBytes(of: address) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true } // ::1
        // ::ffff:127.x.y.z, the IPv4 loopback mapped into IPv6.
        return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127
    }
}

/// A `Host` header value in authority form (RFC 9110 §7.2): a host and an optional port,
/// nothing else. Userinfo (`a@b`), lists (`a, b`), paths and empty values do not parse.
struct HostAuthority: Equatable {
    /// As written: IPv6 keeps its brackets.
    var host: String
    var port: Int?

    init?(parsing text: String) {
        guard !text.isEmpty, text.utf8.count <= 300 else { return nil }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:[]")
        guard text.unicodeScalars.allSatisfy(allowed.contains) else { return nil }
        var hostPart: Substring
        var portPart: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[...close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { return nil }
                portPart = rest.dropFirst()
            }
            guard !hostPart.dropFirst().dropLast().contains("[") else { return nil }
        } else {
            guard !text.contains("[") && !text.contains("]") else { return nil }
            let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { return nil }
            hostPart = pieces[0]
            if pieces.count == 2 { portPart = pieces[1] }
        }
        guard !hostPart.isEmpty else { return nil }
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy(\.isASCII), portPart.allSatisfy(\.isNumber),
                  let port = Int(portPart), port <= 65535 else { return nil }
            self.port = port
        }
        host = String(hostPart)
    }

    var isLoopback: Bool { LoopbackName.isLoopback(urlHost: host) }
}

/// A browser's `Origin` header (RFC 6454): `scheme://host[:port]`, nothing after it.
struct WebOrigin: Equatable {
    var scheme: String
    var authority: HostAuthority

    init?(parsing text: String) {
        guard let separator = text.range(of: "://") else { return nil }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        guard let authority = HostAuthority(parsing: String(text[separator.upperBound...])) else { return nil }
        self.scheme = scheme
        self.authority = authority
    }

    var isLoopback: Bool { authority.isLoopback }
}
