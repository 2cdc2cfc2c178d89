import Foundation
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

    /// `id:`, `event:` and one `data:` line (the JSON holds no raw newline but its last).
    var sse: String {
        let json = (try? SpoolJSON.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}\n" // an event of strings and numbers always encodes
        return "id: \(event.id)\nevent: \(event.type.rawValue)\ndata: \(json)\n"
    }

    /// Told to a client that lagged so far that rotation dropped events it had not read.
    static func skipped(_ ids: ClosedRange<UInt64>) -> String {
        "event: skipped\ndata: {\"from\":\(ids.lowerBound),\"to\":\(ids.upperBound),\"reason\":\"these events were dropped from the journal before this client read them\"}\n\n"
    }
}
