#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A resource as `resources/list` gives it.
public struct Resource: Sendable, Equatable {
    public var name: String
    public var uri: String
    public var mimeType: String?
    public var size: Int?

    public init(name: String, uri: String, mimeType: String? = nil, size: Int? = nil) {
        self.name = name
        self.uri = uri
        self.mimeType = mimeType
        self.size = size
    }

    public var value: Value {
        var object: [String: Value] = ["name": .string(name), "uri": .string(uri)]
        if let mimeType { object["mimeType"] = .string(mimeType) }
        if let size { object["size"] = .int(size) }
        return .object(object)
    }

    /// A family of resources by URI template (`resources/templates/list`).
    public struct Template: Sendable, Equatable {
        public var uriTemplate: String
        public var name: String
        public var title: String?
        public var description: String?
        public var mimeType: String?

        public init(uriTemplate: String, name: String, title: String? = nil, description: String? = nil, mimeType: String? = nil) {
            self.uriTemplate = uriTemplate
            self.name = name
            self.title = title
            self.description = description
            self.mimeType = mimeType
        }

        public var value: Value {
            var object: [String: Value] = ["uriTemplate": .string(uriTemplate), "name": .string(name)]
            if let title { object["title"] = .string(title) }
            if let description { object["description"] = .string(description) }
            if let mimeType { object["mimeType"] = .string(mimeType) }
            return .object(object)
        }
    }
}

/// A `resources/read` result: one resource's contents, as text or as a base64 blob.
public struct ReadResourceResult: Sendable, Equatable {
    public enum Body: Sendable, Equatable {
        case text(String)
        case blob([UInt8])
    }

    public var uri: String
    public var mimeType: String
    public var body: Body
    public var meta: [String: Value]

    public init(uri: String, mimeType: String, body: Body, meta: [String: Value] = [:]) {
        self.uri = uri
        self.mimeType = mimeType
        self.body = body
        self.meta = meta
    }

    public var value: Value {
        var contents: [String: Value] = ["uri": .string(uri), "mimeType": .string(mimeType)]
        switch body {
        case .text(let text): contents["text"] = .string(text)
        case .blob(let bytes): contents["blob"] = .string(Data(bytes).base64EncodedString())
        }
        if !meta.isEmpty { contents["_meta"] = .object(meta) }
        return ["contents": [.object(contents)]]
    }
}
