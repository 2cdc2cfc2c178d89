import Foundation
import Logging
import MCP

/// A stdio transport that hands its message stream to the swift-sdk `Client` only once.
///
/// Why: swift-sdk 0.12.1's `Client` reads in `repeat { for try await … in receive() } while
/// true` (modelcontextprotocol/swift-sdk#256). When spool-mcp exits or is killed, the
/// stream finishes, and the client asks again, gets the same finished stream, and spins a
/// core until `disconnect()`. On a 2-core machine that starves every other test (the whole
/// suite stalled this way). Later calls here get a stream that ends only at disconnect.
actor EOFSafeTransport: Transport {
    private let inner: StdioTransport
    nonisolated let logger = Logger(label: "spool-tests.transport")
    private var first: AsyncThrowingStream<Data, Swift.Error>?
    private var parked: [AsyncThrowingStream<Data, Swift.Error>.Continuation] = []

    init(_ inner: StdioTransport) {
        self.inner = inner
    }

    func connect() async throws {
        try await inner.connect()
        first = await inner.receive()
    }

    func disconnect() async {
        await inner.disconnect()
        for continuation in parked { continuation.finish() }
        parked = []
    }

    func send(_ data: Data) async throws {
        try await inner.send(data)
    }

    func receive() -> AsyncThrowingStream<Data, Swift.Error> {
        if let stream = first {
            first = nil
            return stream
        }
        let (stream, continuation) = AsyncThrowingStream<Data, Swift.Error>.makeStream()
        parked.append(continuation)
        return stream
    }
}
