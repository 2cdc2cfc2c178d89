import Foundation
import MCPWire
import Spool

/// Tells a 2026-07-28 request from a 2025-11-25 one, and checks its envelope. Pure: the
/// stdio reader and the HTTP route both call it with the decoded message (and headers).
enum ModernEnvelope {
    /// Whether a message asks for the 2026-07-28 revision: `server/discover`, or a
    /// `_meta` that names a protocol version.
    static func isModern(_ message: Value) -> Bool {
        guard case .object(let object) = message else { return false }
        if object["method"] == .string("server/discover") { return true }
        return message["params"]?["_meta"]?[ModernProtocol.protocolVersionKey] != nil
    }

    /// Checks, in the order of the specification (the Python SDK's ladder): the envelope's
    /// keys (-32602), the HTTP routing headers against the body (-32020), then the
    /// version (-32022). `headers` is nil on stdio; its keys are lowercase.
    static func classify(_ message: Value, headers: [String: String]? = nil) -> Result<MCPRequest, MCPError> {
        guard case .object(let object) = message, case .string(let method)? = object["method"], let rawID = object["id"], let id = RequestID(rawID) else {
            return .failure(.invalidRequest("one JSON-RPC request object with id and method"))
        }
        let params: [String: Value]
        switch object["params"] {
        case nil, .null?: params = [:]
        case .object(let value)?: params = value
        default: return .failure(.invalidParams("params must be an object"))
        }
        guard case .object(let meta)? = params["_meta"] else {
            return .failure(.invalidParams("params._meta must be an object carrying \(ModernProtocol.protocolVersionKey) and \(ModernProtocol.clientCapabilitiesKey) (2026-07-28 has no initialize: every request says its version and capabilities)"))
        }
        let missing = [ModernProtocol.protocolVersionKey, ModernProtocol.clientCapabilitiesKey].filter { meta[$0] == nil }
        if !missing.isEmpty {
            return .failure(.invalidParams("params._meta is missing the envelope key(s): \(missing.joined(separator: ", "))"))
        }
        let version = meta[ModernProtocol.protocolVersionKey]!
        if let headers {
            guard let header = headers["mcp-protocol-version"], .string(header) == version else {
                return .failure(MCPError(code: MCPError.Code.headerMismatch, message: "The MCP-Protocol-Version header does not match the request's \(ModernProtocol.protocolVersionKey)"))
            }
            guard headers["mcp-method"] == method else {
                return .failure(MCPError(code: MCPError.Code.headerMismatch, message: "The Mcp-Method header (\(headers["mcp-method"].map { "\"\($0.prefix(60))\"" } ?? "missing")) does not match the body's method \"\(method.prefix(60))\""))
            }
            if let field = ModernProtocol.nameField(of: method), case .string(let name)? = params[field] {
                guard let header = headers["mcp-name"], HeaderValue.decode(header) == name else {
                    return .failure(MCPError(code: MCPError.Code.headerMismatch, message: "The Mcp-Name header does not match the body's \(field)"))
                }
            }
        }
        guard case .string(let versionText) = version else {
            return .failure(.invalidParams("\(ModernProtocol.protocolVersionKey) must be a string such as \"\(ModernProtocol.version)\""))
        }
        guard versionText == ModernProtocol.version else { return .failure(ModernProtocol.unsupported(version)) }
        guard case .object(let capabilities) = meta[ModernProtocol.clientCapabilitiesKey]! else {
            return .failure(.invalidParams("\(ModernProtocol.clientCapabilitiesKey) must be an object"))
        }
        var request = MCPRequest(id: id, method: method, params: params, revision: .envelope, capabilities: capabilities,
                                 logLevel: meta[ModernProtocol.logLevelKey]?.stringValue)
        if case .object(let info)? = meta[ModernProtocol.clientInfoKey] {
            request.clientName = info["name"]?.stringValue
            request.clientVersion = info["version"]?.stringValue
        }
        return .success(request)
    }
}

/// The `=?base64?…?=` form an MCP client uses for header values that are not plain
/// printable ASCII (SEP-2243).
enum HeaderValue {
    static func decode(_ header: String) -> String? {
        guard header.hasPrefix("=?base64?"), header.hasSuffix("?="), header.count >= 11 else { return header }
        let payload = String(header.dropFirst(9).dropLast(2))
        guard let data = Foundation.Data(base64Encoded: payload), data.base64EncodedString() == payload else { return nil }
        return String(data: data, encoding: .utf8)
    }
}
