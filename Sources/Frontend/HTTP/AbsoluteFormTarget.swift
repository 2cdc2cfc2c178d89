import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// HTTP/1's absolute-form target (`POST http://evil.example/mcp`) names the host in the
/// target itself, and a server must use that instead of `Host` (RFC 9112, section 3.2.2).
/// swift-nio-extras' conversion to HTTPTypes keeps only the target's path and takes the
/// authority from `Host`, so `AccessGuard` would check a Host the client chose freely
/// while the request named another. This handler, ahead of that conversion, makes the
/// target's authority the request's only `Host` and the target its path: the one Host
/// check then applies to the authority the request really names.
final class AbsoluteFormTarget: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(var head) = unwrapInboundIn(data), let target = Self.originForm(head.uri) {
            head.headers.replaceOrAdd(name: "Host", value: target.authority)
            head.uri = target.path
            context.fireChannelRead(wrapInboundOut(.head(head)))
            return
        }
        context.fireChannelRead(data)
    }

    /// The authority and origin-form path of an absolute-form target; nil for any other form.
    static func originForm(_ target: String) -> (authority: String, path: String)? {
        guard !target.hasPrefix("/"), target != "*", let scheme = target.range(of: "://") else { return nil }
        let rest = target[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let path = rest.dropFirst(authority.count)
        return (String(authority), path.hasPrefix("/") ? String(path) : "/" + path)
    }

    /// Hummingbird adds extra handlers after its HTTPTypes conversion, where the target's
    /// authority is already gone; this one, added there, puts `AbsoluteFormTarget` in front
    /// of the conversion when it joins the pipeline, and then only passes data on.
    final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny

        func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            if let codec = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self) {
                try? pipeline.addHandler(AbsoluteFormTarget(), position: .before(codec))
            }
        }
    }
}
