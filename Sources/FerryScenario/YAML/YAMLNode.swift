/// A YAML value with its position: a scalar, a sequence or a mapping. Mappings keep their
/// keys in source order.
public struct YAMLNode: Equatable, Sendable {
    public enum Content: Equatable, Sendable {
        /// Text; `plain` is false when it was quoted or a block scalar (so `"5"` stays a string).
        case scalar(String, plain: Bool)
        case sequence([YAMLNode])
        case mapping([YAMLEntry])
    }

    public var content: Content
    /// Where the node starts.
    public var mark: Mark

    public init(_ content: Content, at mark: Mark) {
        self.content = content
        self.mark = mark
    }

    /// The scalar's text, or nil.
    public var scalar: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    /// `a scalar`, `a sequence` or `a mapping`, for error messages.
    public var kindName: String {
        switch content {
        case .scalar: "a scalar"
        case .sequence: "a sequence"
        case .mapping: "a mapping"
        }
    }

    /// True for a plain `~`, `null`, `Null`, `NULL` or empty scalar.
    public var isNull: Bool {
        if case .scalar(let text, plain: true) = content { return ["", "~", "null", "Null", "NULL"].contains(text) }
        return false
    }
}

/// One key and value of a mapping.
public struct YAMLEntry: Equatable, Sendable {
    public var key: String
    public var keyMark: Mark
    public var value: YAMLNode

    public init(key: String, keyMark: Mark, value: YAMLNode) {
        self.key = key
        self.keyMark = keyMark
        self.value = value
    }
}
