import FerryCore

/// `runner --set KEY=VALUE`: one scenario value replaced (or added) by its dotted path, such as
/// `transfer.repetitions=10` or `network.impair.loss=[0, 2%]`. VALUE is YAML; the result is
/// validated like the file, and an error in it points at the override
/// (`--set transfer.repetitions=ten:1:1: 'repetitions' must be an integer, not 'ten'`).
public struct ScenarioOverride: Sendable, Equatable {
    /// The keys from the top, `["transfer", "repetitions"]`.
    public var keyPath: [String]
    /// VALUE as given.
    public var valueText: String
    /// `--set KEY=VALUE`, naming the override in errors.
    public var label: String

    /// Reads `KEY=VALUE`.
    /// - Throws: `FerryError` when there is no `=`, or a key of the path is empty.
    public init(_ argument: String) throws {
        label = "--set \(argument)"
        guard let equals = argument.firstIndex(of: "=") else {
            throw FerryError("\(label): expected KEY=VALUE, such as transfer.repetitions=10")
        }
        keyPath = argument[..<equals].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        valueText = String(argument[argument.index(after: equals)...])
        guard !keyPath.contains(where: \.isEmpty) else {
            throw FerryError("\(label): a key of the path is empty; write keys separated by dots, such as transfer.repetitions")
        }
    }

    /// Replaces the value at `keyPath` in `root`, adding mappings on the way where keys are missing.
    /// - Throws: `SourceError` when VALUE is not YAML, or the path goes through something that is
    ///   not a mapping.
    func apply(to root: inout YAMLNode) throws {
        var value = try YAMLDocument.parse(valueText, path: label)
        value.setOrigin(label)
        try Self.replace(keyPath[...], in: &root, with: value, label: label)
    }

    private static func replace(_ keys: ArraySlice<String>, in node: inout YAMLNode, with value: YAMLNode, label: String) throws {
        guard let key = keys.first else {
            node = value
            return
        }
        if node.isNull { node = YAMLNode(.mapping([]), at: node.mark) }
        guard case .mapping(var entries) = node.content else {
            throw SourceError(path: label, mark: Mark(line: 1, column: 1),
                              message: "'\(key)' cannot be set: its parent is \(node.kindName), not a mapping", sourceLine: label)
        }
        if let index = entries.firstIndex(where: { $0.key == key }) {
            try replace(keys.dropFirst(), in: &entries[index].value, with: value, label: label)
        } else {
            var fresh = YAMLNode(.mapping([]), at: Mark(line: 1, column: 1, origin: label))
            try replace(keys.dropFirst(), in: &fresh, with: value, label: label)
            entries.append(YAMLEntry(key: key, keyMark: Mark(line: 1, column: 1, origin: label), value: fresh))
        }
        node.content = .mapping(entries)
    }
}

extension YAMLNode {
    /// Marks this node and everything in it as coming from `origin`.
    mutating func setOrigin(_ origin: String) {
        mark.origin = origin
        switch content {
        case .scalar: break
        case .sequence(var items):
            for index in items.indices { items[index].setOrigin(origin) }
            content = .sequence(items)
        case .mapping(var entries):
            for index in entries.indices {
                entries[index].keyMark.origin = origin
                entries[index].value.setOrigin(origin)
            }
            content = .mapping(entries)
        }
    }
}
