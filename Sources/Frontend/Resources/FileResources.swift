import Foundation
import MCPWire
import Spool

/// Files under the `--watch` roots as MCP resources, `spool://files/<absolute path>`
/// (`spool://files/var/log/app.log` is `/var/log/app.log`; a path relative to the first
/// root is understood too), readable with
/// `resources/read` and followed with `resources/subscribe`.
struct FileResources: Sendable {
    let roots: WatchRoots
    /// Subscribed files are followed for `/events` too, where they are recorded.
    let followers: FileFollowers?
    static let listLimit = 200

    static let template = Resource.Template(
        uriTemplate: "spool://files/{+path}", name: "watched-file", title: "A file under a watched folder",
        description: "A file under a --watch folder, by its absolute path (subscribe for appends, rotations and truncations).",
        mimeType: "text/plain")

    static func uri(_ realPath: String) -> String {
        "spool://files" + (realPath.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? realPath)
    }

    /// The path a `spool://files/...` URI names (percent-decoded), resolved inside the roots.
    func path(of uri: String, forFollowing: Bool = false) throws(MCPError) -> String {
        guard let url = URLComponents(string: uri), url.scheme == "spool", url.host == "files", url.query == nil,
              !url.path.isEmpty, url.path != "/" else {
            throw .invalidParams("'\(uri.prefix(200))' is not a file resource: use spool://files/<absolute path>, for example spool://files/var/log/app.log")
        }
        // The absolute path first; a client that wrote a path relative to the first root
        // (`spool://files/app.log`) is understood too, still only inside the roots.
        var firstError: WatchedPathError?
        for candidate in [url.path, String(url.path.dropFirst())] {
            do throws(WatchedPathError) {
                return forFollowing ? try roots.resolveForFollowing(candidate) : try roots.resolve(candidate)
            } catch {
                firstError = firstError ?? error
            }
        }
        if case .notFound? = firstError { throw .resourceNotFound("\(url.path) does not exist", uri: uri) }
        throw .invalidParams(firstError.map { "\($0)" } ?? "not a file resource")
    }

    /// The regular files directly in each root.
    func list() -> [Resource] {
        var resources: [Resource] = []
        for root in roots.paths {
            for name in FileSystem.list(root).sorted() where resources.count < Self.listLimit {
                let path = root + "/" + name
                guard FileKind.of(path) == .regular else { continue }
                resources.append(Resource(name: path, uri: Self.uri(path), mimeType: "text/plain", size: FileSystem.size(path).map(Int.init)))
            }
        }
        return resources
    }

    func read(_ uri: String) throws(MCPError) -> ReadResourceResult {
        let path = try path(of: uri)
        let file: WatchedFile
        do { file = try roots.open(path) } catch { throw .invalidParams("\(error)") }
        let size = file.identity?.size ?? 0
        let bytes = (try? file.read(offset: 0, limit: OutputResources.readLimit)) ?? [] // unreadable now: an empty read
        return OutputResources.result(uri: uri, bytes: bytes, size: size, rest: "file_read")
    }

    /// What a subscription follows: the file by its name in its folder.
    func subscription(_ uri: String) async throws(MCPError) -> ResourceSubscriptions.Target {
        let path = try path(of: uri, forFollowing: true)
        await followers?.follow(path)
        let url = URL(fileURLWithPath: path)
        return ResourceSubscriptions.Target(directory: url.deletingLastPathComponent().path, name: url.lastPathComponent)
    }
}
