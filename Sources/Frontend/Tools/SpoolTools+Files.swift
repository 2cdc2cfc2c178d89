import Foundation
import MCPWire
import Spool

/// `file_tail` and `file_read`: files under the `--watch` roots, read as `tail` and
/// `output` read a job's output.
extension SpoolTools {
    struct FileTailResult: Codable {
        var path: String
        var lines: Int
        var data: String?
        var dataBase64: String?
        var size: Int64
        var truncated: Bool
    }

    func fileTail(_ arguments: [String: Value]?) throws -> CallToolResult {
        let args = try ToolArguments(.fileTail, values: arguments)
        let file = try openWatched(args)
        let lines = try args.integer("lines", range: 1...10000) ?? 50
        let size = file.identity?.size ?? 0
        let (bytes, truncated) = try LineTail.last(lines, size: size) { (offset, limit) throws(WatchedPathError) in
            try file.read(offset: offset, limit: limit)
        }
        var result = FileTailResult(path: file.realPath, lines: lines, size: size, truncated: truncated)
        (result.data, result.dataBase64) = TextOrBase64(bytes).pair
        let text = result.data ?? "(\(bytes.count) bytes that are not UTF-8: see dataBase64)"
        return CallToolResult(text: text, structuredContent: try Value(encoding: result))
    }

    struct FileChunk: Codable {
        var path: String
        var data: String?
        var dataBase64: String?
        var offset: Int64
        var nextOffset: Int64
        var size: Int64
        /// Everything up to the file's current end was read (it may still grow).
        var eof: Bool
    }

    func fileRead(_ arguments: [String: Value]?) throws -> CallToolResult {
        let args = try ToolArguments(.fileRead, values: arguments)
        let file = try openWatched(args)
        let offset = Int64(try args.integer("offset", range: 0...Int(Int64.max / 2)) ?? 0)
        let limit = try args.integer("limit", range: 1...(1 << 20)) ?? (64 << 10)
        let size = file.identity?.size ?? 0
        // Do not split a UTF-8 character across calls: an incomplete tail waits for the next.
        let bytes = UTF8Boundary.withoutIncompleteEnd(try file.read(offset: offset, limit: limit))
        var chunk = FileChunk(path: file.realPath, offset: offset, nextOffset: offset + Int64(bytes.count), size: size, eof: false)
        (chunk.data, chunk.dataBase64) = TextOrBase64(bytes).pair
        chunk.eof = chunk.nextOffset >= size
        let header = "\(file.realPath), bytes \(offset)..<\(chunk.nextOffset) of \(size)\(chunk.eof ? " (end)" : "")"
        return CallToolResult(text: header + "\n" + (chunk.data ?? "(not UTF-8: see dataBase64)"), structuredContent: try Value(encoding: chunk))
    }

    private func openWatched(_ args: ToolArguments) throws(ToolError) -> WatchedFile {
        let path = try args.requiredString("path", "a file path under a watched folder (absolute, or relative to the first --watch folder)")
        do { return try roots.open(path) } catch { throw .watched(error, tool: args.tool) }
    }
}
