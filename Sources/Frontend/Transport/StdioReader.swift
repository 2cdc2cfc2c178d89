import Foundation
import MCPWire

/// The stdin side of stdio: splits bytes into lines, parses and vets each one, answers
/// what cannot be used (`-32700` with id null for a line that is not JSON, the errors of
/// `JSONRPCVetting` for malformed messages) and hands the rest on.
///
/// A dedicated thread blocks in read(2), so a message is handed on the moment it arrives
/// (swift-sdk's `StdioTransport` polled every 10 ms).
struct StdioReader: Sendable {
    let fd: Int32
    let writer: LineWriter
    let deliver: @Sendable (Value) -> Void
    let finish: @Sendable () -> Void

    /// Lines longer than this are refused with a parse error instead of being buffered.
    static let maxLineBytes = 32 << 20

    func start() {
        let thread = Thread { run() }
        thread.name = "mcp-stdin"
        thread.start()
    }

    private func run() {
        var pending: [UInt8] = []
        var discarding = false
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var start = 0
            for i in 0..<n where chunk[i] == UInt8(ascii: "\n") {
                if !discarding {
                    pending.append(contentsOf: chunk[start..<i])
                    handle(pending)
                }
                pending.removeAll(keepingCapacity: true)
                discarding = false
                start = i + 1
            }
            if !discarding {
                pending.append(contentsOf: chunk[start..<n])
                if pending.count > Self.maxLineBytes {
                    reply(code: JSONRPCVetting.parseError, message: "Parse error: message longer than \(Self.maxLineBytes) bytes", id: .null)
                    pending.removeAll()
                    discarding = true
                }
            }
        }
        if !pending.isEmpty && !discarding { handle(pending) }
        finish()
    }

    private func handle(_ line: [UInt8]) {
        var bytes = line[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
        guard let json = try? JSONParser.parse(Array(bytes)) else { // not JSON: answered with -32700 below
            reply(code: JSONRPCVetting.parseError, message: "Parse error: the line is not valid JSON (one JSON-RPC message per line, UTF-8)", id: .null)
            return
        }
        switch JSONRPCVetting.vet(json) {
        case .reply(let code, let message, let id): reply(code: code, message: message, id: id)
        case .ignore: return
        case .forward: deliver(json)
        }
    }

    private func reply(code: Int, message: String, id: Value) {
        writer.write(JSONRPCVetting.errorResponse(code: code, message: message, id: id))
    }
}
