import CYAML

/// Reads YAML text into a `YAMLNode` tree: anchors and aliases resolved, `<<` merge keys applied,
/// duplicate keys refused, nesting limited to `maximumDepth` levels. Every error is a `SourceError`
/// naming the file, line and column.
///
/// The tree is built from libyaml's event API, counting depth as collections open, so a hostile
/// file (10,000 nested mappings, 50,000 `[`) is refused at the first level too deep instead of
/// recursing until the stack runs out.
public enum YAMLDocument {
    /// The deepest nesting of sequences and mappings accepted; a scenario needs 5.
    public static let maximumDepth = 64

    /// Parses the first document of `text`; `path` is only used in error messages.
    /// An empty document gives an empty mapping.
    public static func parse(_ text: String, path: String) throws(SourceError) -> YAMLNode {
        var builder = TreeBuilder(path: path, text: text)
        let parser = YAMLEventParser(text)
        do {
            return try builder.document(parser)
        } catch let error as YAMLSyntaxError {
            throw builder.error(error.message, at: error.mark)
        } catch let error as SourceError {
            throw error
        } catch {
            throw builder.error("\(error)", at: Mark(line: 1, column: 1))
        }
    }
}

private struct TreeBuilder {
    let path: String
    let text: String
    /// Anchored nodes with their height (levels of collections inside them), for aliases.
    var anchors: [String: (node: YAMLNode, height: Int)] = [:]
    /// Collections open around the node being built.
    var depth = 0
    /// The deepest level reached inside the node being built, aliases included.
    var deepest = 0

    func error(_ message: String, at mark: Mark) -> SourceError {
        SourceError(path: path, mark: mark, message: message, in: text)
    }

    mutating func document(_ parser: YAMLEventParser) throws -> YAMLNode {
        var root: YAMLNode?
        while true {
            let event = try parser.next()
            switch event.type {
            case YAML_STREAM_START_EVENT, YAML_DOCUMENT_START_EVENT:
                continue
            case YAML_DOCUMENT_END_EVENT, YAML_STREAM_END_EVENT:
                return root ?? YAMLNode(.mapping([]), at: Mark(line: 1, column: 1))
            default:
                root = try node(starting: event, parser)
            }
        }
    }

    mutating func node(starting event: YAMLEvent, _ parser: YAMLEventParser) throws -> YAMLNode {
        let mark = event.mark
        let anchor = event.anchor
        let deepestAround = deepest
        deepest = depth
        defer { deepest = max(deepestAround, deepest) }
        let built: YAMLNode
        switch event.type {
        case YAML_ALIAS_EVENT:
            guard let name = anchor, let target = anchors[name] else {
                throw error("unknown alias '*\(anchor ?? "")'", at: mark)
            }
            // The alias puts the anchored tree here, so its levels count from here.
            deepest = depth + target.height
            try checkDepth(deepest, at: mark)
            return target.node
        case YAML_SCALAR_EVENT:
            built = YAMLNode(.scalar(event.scalarValue, plain: event.scalarIsPlain), at: mark)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            depth += 1
            defer { depth -= 1 }
            deepest = depth
            try checkDepth(depth, at: mark)
            built = event.type == YAML_SEQUENCE_START_EVENT
                ? YAMLNode(.sequence(try sequenceItems(parser)), at: mark)
                : YAMLNode(.mapping(try mappingEntries(parser)), at: mark)
        default:
            throw error("unexpected YAML event", at: mark)
        }
        if let anchor { anchors[anchor] = (built, deepest - depth) }
        return built
    }

    func checkDepth(_ levels: Int, at mark: Mark) throws {
        guard levels <= YAMLDocument.maximumDepth else {
            throw error("nested deeper than \(YAMLDocument.maximumDepth) levels", at: mark)
        }
    }

    mutating func sequenceItems(_ parser: YAMLEventParser) throws -> [YAMLNode] {
        var items: [YAMLNode] = []
        while true {
            let next = try parser.next()
            if next.type == YAML_SEQUENCE_END_EVENT { return items }
            items.append(try node(starting: next, parser))
        }
    }

    mutating func mappingEntries(_ parser: YAMLEventParser) throws -> [YAMLEntry] {
        var entries: [YAMLEntry] = []
        var merged: [YAMLEntry] = []
        while true {
            let keyEvent = try parser.next()
            if keyEvent.type == YAML_MAPPING_END_EVENT { break }
            let keyNode = try node(starting: keyEvent, parser)
            guard let key = keyNode.scalar else {
                throw error("mapping keys must be scalars, not \(keyNode.kindName)", at: keyNode.mark)
            }
            let valueEvent = try parser.next()
            let value = try node(starting: valueEvent, parser)
            if key == "<<" && keyNode.content == .scalar("<<", plain: true) {
                merged.append(contentsOf: try mergeSources(value))
                continue
            }
            if let first = entries.first(where: { $0.key == key }) {
                throw error("duplicate key '\(key)' (first at line \(first.keyMark.line))", at: keyNode.mark)
            }
            entries.append(YAMLEntry(key: key, keyMark: keyNode.mark, value: value))
        }
        for entry in merged where !entries.contains(where: { $0.key == entry.key }) {
            entries.append(entry)
        }
        return entries
    }

    func mergeSources(_ value: YAMLNode) throws -> [YAMLEntry] {
        switch value.content {
        case .mapping(let entries): return entries
        case .sequence(let items):
            return try items.flatMap { item -> [YAMLEntry] in
                guard case .mapping(let entries) = item.content else {
                    throw error("'<<' merges mappings, not \(item.kindName)", at: item.mark)
                }
                return entries
            }
        case .scalar: throw error("'<<' merges mappings, not a scalar", at: value.mark)
        }
    }
}
