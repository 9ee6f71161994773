import FerryCore

/// Typed access to a YAML tree with errors that point at the offending node:
/// `scenarios/x.yaml:7:3: unknown key 'repetitons' in 'transfer' (did you mean 'repetitions'?)`.
struct NodeReader {
    let path: String
    let text: String

    /// The texts of `--set` overrides, by their origin (`--set transfer.repetitions=abc`).
    var overrideTexts: [String: String] = [:]

    func error(_ message: String, at mark: Mark) -> SourceError {
        if let origin = mark.origin {
            return SourceError(path: origin, mark: Mark(line: mark.line, column: mark.column), message: message, in: overrideTexts[origin] ?? "")
        }
        return SourceError(path: path, mark: mark, message: message, in: text)
    }

    /// The entries of a mapping, checked against `allowed` keys and `required` ones.
    func mapping(_ node: YAMLNode, named name: String, allowed: [String], required: [String] = []) throws -> Fields {
        guard case .mapping(let entries) = node.content else {
            throw error("'\(name)' must be a mapping, not \(node.kindName)", at: node.mark)
        }
        let context = name == "" ? "the scenario" : "'\(name)'"
        for entry in entries where !allowed.contains(entry.key) {
            var message = "unknown key '\(entry.key)' in \(context)"
            if let suggestion = Spelling.nearest(to: entry.key, in: allowed) { message += " (did you mean '\(suggestion)'?)" }
            throw error(message, at: entry.keyMark)
        }
        for key in required where !entries.contains(where: { $0.key == key }) {
            throw error("missing required key '\(key)' in \(context)", at: node.mark)
        }
        return Fields(entries: entries, mark: node.mark)
    }

    func string(_ node: YAMLNode, _ key: String) throws -> String {
        guard let text = node.scalar, !node.isNull || !text.isEmpty else {
            throw error("'\(key)' must be a string, not \(node.isNull ? "empty" : node.kindName)", at: node.mark)
        }
        return text
    }

    func bool(_ node: YAMLNode, _ key: String) throws -> Bool {
        switch node.scalar {
        case "true", "True", "TRUE", "yes", "on": return true
        case "false", "False", "FALSE", "no", "off": return false
        default: throw error("'\(key)' must be true or false, not \(describe(node))", at: node.mark)
        }
    }

    func integer(_ node: YAMLNode, _ key: String, in range: ClosedRange<Int>) throws -> Int {
        guard let text = node.scalar, let value = Int(text) else {
            throw error("'\(key)' must be a whole number, not \(describe(node))", at: node.mark)
        }
        guard range.contains(value) else {
            throw error("'\(key)' must be \(range.lowerBound) to \(range.upperBound), not \(value)", at: node.mark)
        }
        return value
    }

    func number(_ node: YAMLNode, _ key: String, atLeast minimum: Double) throws -> Double {
        guard let text = node.scalar, let value = Double(text), value.isFinite else {
            throw error("'\(key)' must be a number, not \(describe(node))", at: node.mark)
        }
        guard value >= minimum else { throw error("'\(key)' must be at least \(minimum), not \(text)", at: node.mark) }
        return value
    }

    /// A duration in seconds: `500ms`, `5s`, `2m`.
    func duration(_ node: YAMLNode, _ key: String) throws -> Double {
        guard let text = node.scalar, let nanoseconds = Quantities.duration(text) else {
            throw error("'\(key)' must be a duration such as 500ms, 5s or 2m, not \(describe(node))", at: node.mark)
        }
        guard nanoseconds > 0 else { throw error("'\(key)' must be longer than 0", at: node.mark) }
        return Double(nanoseconds) / 1e9
    }

    /// A size in bytes: `4096`, `64KiB`, `1MiB`.
    func size(_ node: YAMLNode, _ key: String, in range: ClosedRange<UInt64>) throws -> UInt64 {
        guard let text = node.scalar, let bytes = Quantities.size(text) else {
            throw error("'\(key)' must be a size such as 4096, 64KiB or 1MiB, not \(describe(node))", at: node.mark)
        }
        guard range.contains(bytes) else {
            throw error("'\(key)' must be \(range.lowerBound) to \(range.upperBound) bytes, not \(text)", at: node.mark)
        }
        return bytes
    }

    /// A percentage `5%`, returned as 5.
    func percentage(_ node: YAMLNode, _ key: String) throws -> Double {
        guard let text = node.scalar, let value = Quantities.percentage(text) else {
            throw error("'\(key)' must be a percentage such as 5% or 0.1%, not \(describe(node))", at: node.mark)
        }
        return value
    }

    /// One value or a sequence of them.
    func oneOrMany<T>(_ node: YAMLNode, _ key: String, _ each: (YAMLNode) throws -> T) throws -> [T] {
        if case .sequence(let items) = node.content {
            guard !items.isEmpty else { throw error("'\(key)' must not be an empty list", at: node.mark) }
            return try items.map(each)
        }
        return [try each(node)]
    }

    /// A sequence of strings.
    func stringList(_ node: YAMLNode, _ key: String) throws -> [String] {
        guard case .sequence(let items) = node.content else {
            throw error("'\(key)' must be a list of strings, not \(node.kindName)", at: node.mark)
        }
        guard !items.isEmpty else { throw error("'\(key)' must not be an empty list", at: node.mark) }
        return try items.map { try string($0, key) }
    }

    /// A mapping of string to string.
    func stringMap(_ node: YAMLNode, _ key: String) throws -> [String: String] {
        guard case .mapping(let entries) = node.content else {
            throw error("'\(key)' must be a mapping, not \(node.kindName)", at: node.mark)
        }
        var result: [String: String] = [:]
        for entry in entries { result[entry.key] = try string(entry.value, entry.key) }
        return result
    }

    private func describe(_ node: YAMLNode) -> String {
        if let text = node.scalar { return text.isEmpty ? "empty" : "'\(text)'" }
        return node.kindName
    }
}

/// A mapping's entries, by key.
struct Fields {
    let entries: [YAMLEntry]
    let mark: Mark

    subscript(_ key: String) -> YAMLNode? { entries.first { $0.key == key }?.value }
}

/// Finds the valid name closest to a misspelt one.
enum Spelling {
    /// The candidate within a small edit distance of `word`, if any (the closest one).
    static func nearest(to word: String, in candidates: [String]) -> String? {
        let limit = max(2, word.count / 3)
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit else { return nil }
        return best.0
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
