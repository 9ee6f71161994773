import CYAML

/// Reads YAML text into a `YAMLNode` tree: anchors and aliases resolved, `<<` merge keys applied,
/// duplicate keys refused. Every error is a `SourceError` naming the file, line and column.
public enum YAMLDocument {
    /// Parses the first document of `text`; `path` is only used in error messages.
    /// An empty document gives an empty mapping.
    public static func parse(_ text: String, path: String) throws(SourceError) -> YAMLNode {
        var builder = TreeBuilder(path: path, lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
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
    let lines: [String]
    var anchors: [String: YAMLNode] = [:]

    func error(_ message: String, at mark: Mark) -> SourceError {
        let line = mark.line >= 1 && mark.line <= lines.count ? lines[mark.line - 1] : nil
        return SourceError(path: path, mark: mark, message: message, sourceLine: line)
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
        let built: YAMLNode
        switch event.type {
        case YAML_ALIAS_EVENT:
            guard let name = anchor, let target = anchors[name] else {
                throw error("unknown alias '*\(anchor ?? "")'", at: mark)
            }
            return target
        case YAML_SCALAR_EVENT:
            built = YAMLNode(.scalar(event.scalarValue, plain: event.scalarIsPlain), at: mark)
        case YAML_SEQUENCE_START_EVENT:
            var items: [YAMLNode] = []
            while true {
                let next = try parser.next()
                if next.type == YAML_SEQUENCE_END_EVENT { break }
                items.append(try node(starting: next, parser))
            }
            built = YAMLNode(.sequence(items), at: mark)
        case YAML_MAPPING_START_EVENT:
            built = YAMLNode(.mapping(try mappingEntries(parser)), at: mark)
        default:
            throw error("unexpected YAML event", at: mark)
        }
        if let anchor { anchors[anchor] = built }
        return built
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
