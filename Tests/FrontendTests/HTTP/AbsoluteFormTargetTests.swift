@testable import Frontend
import Testing

@Suite("absolute-form targets")
struct AbsoluteFormTargetTests {
    @Test("an absolute-form target gives its authority and an origin-form path")
    func absolute() {
        #expect(AbsoluteFormTarget.originForm("http://evil.example/mcp") ?? ("", "") == ("evil.example", "/mcp"))
        #expect(AbsoluteFormTarget.originForm("http://127.0.0.1:8765/events?job=x") ?? ("", "") == ("127.0.0.1:8765", "/events?job=x"))
        #expect(AbsoluteFormTarget.originForm("http://[::1]:80") ?? ("", "") == ("[::1]:80", "/"))
        #expect(AbsoluteFormTarget.originForm("http:///mcp") ?? ("x", "") == ("", "/mcp"), "an empty authority is refused by the Host check")
    }

    @Test("origin form, asterisk form and anything else are left as they are")
    func others() {
        for target in ["/mcp", "/", "*", "evil.example:443", "mcp"] {
            #expect(AbsoluteFormTarget.originForm(target) == nil, "\(target)")
        }
    }
}
