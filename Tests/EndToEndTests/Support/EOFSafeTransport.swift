import Foundation
import Glibc
import Logging
import MCP
import SystemPackage

/// The swift-sdk stdio transport, made safe for a test process that runs many clients.
///
/// - It hands its message stream to the `Client` only once. swift-sdk 0.12.1's `Client`
///   reads in `repeat { for try await … in receive() } while true`
///   (modelcontextprotocol/swift-sdk#256): once spool-mcp has exited, the client asks
///   again, gets the same finished stream, and spins a core until `disconnect()`. On a
///   2-core machine that starved the whole suite. Later calls here get a stream that ends
///   only at disconnect.
/// - It reads and writes its own duplicates of the pipe ends, closed only at disconnect:
///   when the `ChildProcess` closes its ends while a client still reads, a new socket
///   could get the same descriptor number and its bytes would go to the wrong reader.
actor EOFSafeTransport: Transport {
    private let inner: StdioTransport
    private let descriptors: [Int32]
    nonisolated let logger = Logger(label: "spool-tests.transport")
    private var first: AsyncThrowingStream<Data, Swift.Error>?
    private var parked: [AsyncThrowingStream<Data, Swift.Error>.Continuation] = []

    /// - Parameters: the read end of spool-mcp's stdout and the write end of its stdin.
    init(input: Int32, output: Int32) {
        let read = fcntl(input, F_DUPFD_CLOEXEC, 0), write = fcntl(output, F_DUPFD_CLOEXEC, 0)
        descriptors = [read, write]
        inner = StdioTransport(input: FileDescriptor(rawValue: read), output: FileDescriptor(rawValue: write))
    }

    func connect() async throws {
        try await inner.connect()
        first = await inner.receive()
    }

    func disconnect() async {
        await inner.disconnect()
        for continuation in parked { continuation.finish() }
        parked = []
        // The inner read loop checks that it is connected before every read, on its actor.
        for fd in descriptors where fd >= 0 { close(fd) }
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
