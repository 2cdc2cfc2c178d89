import MCPWire
import Spool
import Synchronization

/// What a 2025-11-25 connection (a stdio connection, or an HTTP session) keeps between
/// its requests: whether it is initialized and at which version, who the client is, the
/// log level it asked for, and its resource subscriptions. Its `notices` carry what the
/// server says unasked (log messages, resource updates).
final class MCPConnection: Sendable {
    let identity: ClientIdentity
    let threshold = LogThreshold()
    let notices: NoticeSink
    private let negotiated = Mutex<String?>(nil)
    private let closers = Mutex<[@Sendable () async -> Void]>([])
    /// Set by the dispatcher when the connection opens.
    private let subscriptionsBox = Mutex<ResourceSubscriptions?>(nil)

    init(identity: ClientIdentity, notices: NoticeSink) {
        self.identity = identity
        self.notices = notices
    }

    /// The version `initialize` settled on; nil before it.
    var version: String? { negotiated.withLock { $0 } }

    /// A request that came on this connection, at the version `initialize` settled on (for
    /// `initialize` itself, the one it will settle on).
    func request(id: RequestID, method: String, params: [String: Value]) -> MCPRequest {
        let version = self.version ?? Revision.negotiate(params["protocolVersion"]?.stringValue ?? "")
        return MCPRequest(id: id, method: method, params: params, revision: .handshake(version: version))
    }

    /// Records `initialize`; false when the connection was initialized already.
    func initialize(version: String) -> Bool {
        negotiated.withLock { current in
            guard current == nil else { return false }
            current = version
            return true
        }
    }

    var subscriptions: ResourceSubscriptions? { subscriptionsBox.withLock { $0 } }

    func attach(subscriptions: ResourceSubscriptions, onClose: @escaping @Sendable () async -> Void) {
        subscriptionsBox.withLock { $0 = subscriptions }
        closers.withLock { $0.append(onClose) }
    }

    /// Ends what follows on the connection's behalf (subscriptions, backup notices).
    func close() async {
        let pending = closers.withLock { list in defer { list = [] }; return list }
        for close in pending { await close() }
    }
}
