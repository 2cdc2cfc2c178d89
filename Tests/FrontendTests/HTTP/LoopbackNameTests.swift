@testable import Frontend
import Testing

@Suite("Loopback names, Host and Origin parsing")
struct LoopbackNameTests {
    /// `Host` header values and whether a loopback-bound server accepts them.
    static let hosts: [(String, Bool)] = [
        ("127.0.0.1", true),
        ("127.0.0.1:8765", true),
        ("127.1.2.3:80", true),
        ("127.255.255.255", true),
        ("localhost", true),
        ("localhost:8765", true),
        ("LOCALHOST:1", true),
        ("[::1]", true),
        ("[::1]:8765", true),
        ("[0:0:0:0:0:0:0:1]:8765", true),
        ("[::ffff:127.0.0.1]:8765", true),
        ("[::ffff:127.9.8.7]", true),
        ("127.0.0.1.evil.example", false),
        ("127.0.0.1.evil.example:8765", false),
        ("127.evil.example", false),
        ("127.0.0.1:8765@evil.example", false),
        ("evil.example@127.0.0.1:8765", false),
        ("127.0.0.1:8765, evil.example", false),
        ("127.0.0.1, 127.0.0.1", false),
        ("", false),
        ("127.0.0.1:", false),
        ("127.0.0.1:99999", false),
        ("127.0.0.1:80:80", false),
        ("127.0.0.1:8a", false),
        ("127.0.0.1/x", false),
        ("127.0.0.1 ", false),
        ("127.1", false),
        ("0177.0.0.1", false),
        ("0x7f.0.0.1", false),
        ("2130706433", false),
        ("128.0.0.1", false),
        ("10.0.0.1:8765", false),
        ("::1", false),
        ("[::1", false),
        ("[::2]:80", false),
        ("[::ffff:10.0.0.1]", false),
        ("[::1%25lo]", false),
        ("localhost.", false),
        ("localhost.evil.example", false),
        ("evil-localhost", false),
        ("127.0.0.1%2eevil.example", false),
        ("[::1]x", false),
    ]

    @Test("Host values: only IP loopback literals and exactly localhost, in authority form")
    func hostTable() {
        #expect(Self.hosts.count >= 30)
        for (text, expected) in Self.hosts {
            let accepted = HostAuthority(parsing: text)?.isLoopback ?? false
            #expect(accepted == expected, "Host \"\(text)\" should be \(expected ? "accepted" : "refused")")
        }
    }

    /// `Origin` header values and whether they count as loopback origins.
    static let origins: [(String, Bool)] = [
        ("http://127.0.0.1:8765", true),
        ("http://localhost:3000", true),
        ("https://localhost", true),
        ("http://[::1]:8765", true),
        ("http://127.0.0.1.evil.example:8765", false),
        ("http://127.evil.example", false),
        ("http://evil.example", false),
        ("http://127.0.0.1:8765@evil.example", false),
        ("http://user@127.0.0.1:8765", false),
        ("http://127.0.0.1:8765/path", false),
        ("ftp://127.0.0.1", false),
        ("null", false),
        ("127.0.0.1", false),
        ("file://", false),
        ("http://", false),
        ("http://localhost.evil.example", false),
    ]

    @Test("Origin values: http(s) with a loopback host and nothing else")
    func originTable() {
        for (text, expected) in Self.origins {
            #expect((WebOrigin(parsing: text)?.isLoopback ?? false) == expected, "Origin \"\(text)\"")
        }
    }

    @Test("bind addresses: IPv6 without brackets, and never a prefix match")
    func bindAddresses() {
        #expect(LoopbackName.isLoopback(bareHost: "127.0.0.1"))
        #expect(LoopbackName.isLoopback(bareHost: "::1"))
        #expect(LoopbackName.isLoopback(bareHost: "localhost"))
        #expect(!LoopbackName.isLoopback(bareHost: "0.0.0.0"))
        #expect(!LoopbackName.isLoopback(bareHost: "::"))
        #expect(!LoopbackName.isLoopback(bareHost: "127.0.0.1.nip.io"))
        #expect(!LoopbackName.isLoopback(bareHost: "127.example"))
    }

    @Test("the Host check refuses a missing Host, a second Host and non-loopback names")
    func hostCheck() {
        #expect(AccessGuardCheck.host(authority: "127.0.0.1:1", extra: [], loopbackOnly: true) == nil)
        #expect(AccessGuardCheck.host(authority: nil, extra: [], loopbackOnly: true) == 421)
        #expect(AccessGuardCheck.host(authority: "127.0.0.1:1", extra: ["evil.example"], loopbackOnly: true) == 421)
        #expect(AccessGuardCheck.host(authority: "evil.example", extra: [], loopbackOnly: true) == 403, "a rebinding name")
        #expect(AccessGuardCheck.host(authority: "evil.example", extra: [], loopbackOnly: false) == nil, "with a token on a public bind any well-formed name passes")
        #expect(AccessGuardCheck.host(authority: "a@b", extra: [], loopbackOnly: false) == 421)
    }

    @Test("an allowed origin is matched exactly, and --allow-origin does not make a name loopback")
    func originCheck() {
        #expect(AccessGuardCheck.origin(["https://app.example"], allowed: ["https://app.example"]) == nil)
        #expect(AccessGuardCheck.origin(["https://app.example.evil"], allowed: ["https://app.example"]) == 403)
        #expect(AccessGuardCheck.origin(["http://localhost:1", "http://evil.example"], allowed: []) == 403)
        #expect(AccessGuardCheck.origin([], allowed: []) == nil)
    }
}

/// The guard's checks, returning just the status code.
enum AccessGuardCheck {
    typealias Guard = AccessGuard<Hummingbird.BasicRequestContext>

    static func host(authority: String?, extra: [String], loopbackOnly: Bool) -> Int? {
        Guard.checkHost(authority: authority, extraHosts: extra, loopbackOnly: loopbackOnly).map { Int($0.status.code) }
    }

    static func origin(_ origins: [String], allowed: Set<String>) -> Int? {
        Guard.checkOrigin(origins, allowed: allowed).map { Int($0.status.code) }
    }
}

import Hummingbird

@Suite("bearer token comparison")
struct TokenComparisonTests {
    typealias Guard = AccessGuard<Hummingbird.BasicRequestContext>

    @Test("equal only when every byte and the length match; a prefix or an extension is not the token")
    func comparison() {
        #expect(Guard.constantTimeEqual("Bearer s3cret", "Bearer s3cret"))
        #expect(!Guard.constantTimeEqual("Bearer s3cre", "Bearer s3cret"))
        #expect(!Guard.constantTimeEqual("Bearer s3cretX", "Bearer s3cret"))
        #expect(!Guard.constantTimeEqual("", "Bearer s3cret"))
        #expect(!Guard.constantTimeEqual("Bearer s3crex", "Bearer s3cret"))
    }
}
