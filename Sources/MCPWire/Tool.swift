/// A tool as `tools/list` describes it.
public struct Tool: Sendable, Equatable {
    public var name: String
    public var description: String
    public var inputSchema: Value
    public var annotations: Annotations?

    public init(name: String, description: String, inputSchema: Value, annotations: Annotations? = nil) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
        self.annotations = annotations
    }

    /// Hints about a tool's behaviour (MCP `ToolAnnotations`); unset hints are left out.
    public struct Annotations: Sendable, Equatable {
        public var title: String?
        public var readOnlyHint: Bool?
        public var destructiveHint: Bool?
        public var idempotentHint: Bool?
        public var openWorldHint: Bool?

        public init(title: String? = nil, readOnlyHint: Bool? = nil, destructiveHint: Bool? = nil,
                    idempotentHint: Bool? = nil, openWorldHint: Bool? = nil) {
            self.title = title
            self.readOnlyHint = readOnlyHint
            self.destructiveHint = destructiveHint
            self.idempotentHint = idempotentHint
            self.openWorldHint = openWorldHint
        }

        public var value: Value {
            var object: [String: Value] = [:]
            if let title { object["title"] = .string(title) }
            if let readOnlyHint { object["readOnlyHint"] = .bool(readOnlyHint) }
            if let destructiveHint { object["destructiveHint"] = .bool(destructiveHint) }
            if let idempotentHint { object["idempotentHint"] = .bool(idempotentHint) }
            if let openWorldHint { object["openWorldHint"] = .bool(openWorldHint) }
            return .object(object)
        }
    }

    public var value: Value {
        var object: [String: Value] = ["name": .string(name), "description": .string(description), "inputSchema": inputSchema]
        if let annotations {
            object["annotations"] = annotations.value
            if let title = annotations.title { object["title"] = .string(title) }
        }
        return .object(object)
    }
}

/// A `tools/call` result: text for the model, `structuredContent` for programs, and
/// `isError` for a tool error (a protocol error is an `MCPError` instead).
public struct CallToolResult: Sendable, Equatable {
    public var text: [String]
    public var structuredContent: Value?
    public var isError: Bool

    public init(text: String, structuredContent: Value? = nil, isError: Bool = false) {
        self.text = [text]
        self.structuredContent = structuredContent
        self.isError = isError
    }

    public var value: Value {
        var object: [String: Value] = ["content": .array(text.map { ["type": "text", "text": .string($0)] })]
        if let structuredContent { object["structuredContent"] = structuredContent }
        object["isError"] = .bool(isError)
        return .object(object)
    }
}
