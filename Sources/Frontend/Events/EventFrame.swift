import Foundation
import MCPWire
import Spool

/// An `/events` SSE event: the journal entry, with an `output` event's bytes read from the
/// job's file (`data` when they are UTF-8 text, `dataBase64` otherwise).
struct EventFrame: Encodable {
    var event: SpoolEvent
    var data: String?
    var dataBase64: String?
    /// The output file no longer holds those bytes (the job was removed).
    var gone: Bool?

    init(_ event: SpoolEvent, layout: SpoolLayout) {
        self.event = event
        guard event.type == .output, let job = event.job, let stream = event.stream,
              let offset = event.offset, let length = event.length else { return }
        let bytes = (try? FileSystem.read(layout.job(job, stream.file), offset: offset, limit: Int(length))) ?? nil // gone (retention): the event says so with no data
        guard let bytes, bytes.count == Int(length) else {
            gone = true
            return
        }
        (data, dataBase64) = TextOrBase64(bytes).pair
    }

    private enum Keys: String, CodingKey { case data, dataBase64, gone }

    func encode(to encoder: any Encoder) throws {
        try event.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(data, forKey: .data)
        try container.encodeIfPresent(dataBase64, forKey: .dataBase64)
        try container.encodeIfPresent(gone, forKey: .gone)
    }

    /// `id:`, `event:` and one `data:` line, through the one SSE framer.
    var sse: [UInt8] {
        var json = (try? SpoolJSON.encode(self)).map { Array($0) } ?? Array("{}".utf8) // an event of strings and numbers always encodes
        while json.last == UInt8(ascii: "\n") { json.removeLast() }
        return SSEFrame.event(json, id: String(event.id), type: event.type.rawValue)
    }

    /// Told to a client that lagged so far that rotation dropped events it had not read.
    static func skipped(_ ids: ClosedRange<UInt64>) -> [UInt8] {
        SSEFrame.event(JSONWriter.bytes(["from": .int(Int(ids.lowerBound)), "to": .int(Int(ids.upperBound)),
                                         "reason": "these events were dropped from the journal before this client read them"]),
                       type: "skipped")
    }
}
