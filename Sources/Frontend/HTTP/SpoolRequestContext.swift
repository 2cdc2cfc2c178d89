import Hummingbird
import NIOCore

/// Hummingbird's basic context plus the connection, so a route can close a connection
/// it refuses to read further (an oversized or trickling body) instead of leaving the
/// client blocked in its send.
struct SpoolRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
