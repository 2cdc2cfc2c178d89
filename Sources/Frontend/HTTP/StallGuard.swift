import Hummingbird
import NIOCore

/// Cuts off a client that stops reading a stream. NIO's back-pressure keeps a write
/// waiting while the client's window is full, which bounds memory but would hold the
/// connection and its handler forever; a write still waiting after `limit` closes the
/// connection, which fails the write and ends the handler.
struct StallGuard: Sendable {
    let channel: any Channel
    let limit: TimeAmount

    init(_ context: SpoolRequestContext, limit: Duration) {
        channel = context.channel
        let (seconds, attoseconds) = limit.components
        self.limit = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func write(_ buffer: ByteBuffer, to writer: inout any ResponseBodyWriter) async throws {
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
        defer { timer.cancel() }
        try await writer.write(buffer)
    }
}
