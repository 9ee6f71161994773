import FerryCore
import Foundation

extension ScenarioDecoder {
    /// The `server` or `client` section.
    func command(_ node: YAMLNode, side: String) throws -> CommandSpec {
        let common = ["command", "cwd", "env", "source", "files", "build"]
        let allowed = side == "server" ? common + ["store", "ready"] : common
        let fields = try reader.mapping(node, named: side, allowed: allowed, required: ["command"])
        var spec = CommandSpec(command: try commandLine(fields["command"]!, "command"))
        if let value = fields["cwd"] {
            if let source = fields["source"] {
                throw reader.error("give either 'cwd' or 'source', not both: 'source' runs the side in its own copy", at: source.mark)
            }
            let text = try reader.string(value, "cwd")
            let full = resolve(text)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), isFolder.boolValue else {
                throw reader.error("'cwd' folder '\(text)' not found (looked for \(full))", at: value.mark)
            }
            spec.cwd = full
        }
        spec.environment = try fields["env"].map { try reader.stringMap($0, "env") } ?? [:]
        if let value = fields["source"] {
            let text = try reader.string(value, "source")
            try checkPlaceholders(text, Placeholders.scenario, at: value.mark)
            if !text.contains("{") { try existingFolder(text, "source", at: value.mark) }
            spec.source = text
        }
        if let value = fields["files"] { spec.files = try fixtures(value) }
        if let value = fields["build"] { spec.build = try commandLine(value, "build") }
        if let value = fields["store"] { spec.store = try store(value) }
        spec.ready = try fields["ready"].map { try reader.string($0, "ready") }
        return spec
    }

    func commandLine(_ node: YAMLNode, _ key: String) throws -> [String] {
        let command = try reader.stringList(node, key)
        for argument in command { try checkPlaceholders(argument, Placeholders.scenario, at: node.mark) }
        return command
    }

    /// `files`: name in the side's folder → file to copy there.
    func fixtures(_ node: YAMLNode) throws -> [(name: String, path: String)] {
        guard case .mapping(let entries) = node.content else {
            throw reader.error("'files' must be a mapping of name in the side's folder to file, not \(node.kindName)", at: node.mark)
        }
        return try entries.map { entry in
            guard Self.isInsideFolder(entry.key) else {
                throw reader.error("'files' name '\(entry.key)' must be a relative path to a file inside the side's folder", at: entry.keyMark)
            }
            let text = try reader.string(entry.value, entry.key)
            try checkPlaceholders(text, Placeholders.scenario, at: entry.value.mark)
            if !text.contains("{") { _ = try existingFile(entry.value, entry.key) }
            return (entry.key, text)
        }
    }

    /// `store`: a folder, or a pattern with `{n}` for each copy's name.
    func store(_ node: YAMLNode) throws -> StoreSpec {
        let text = try reader.string(node, "store")
        try checkPlaceholders(text, Placeholders.scenario + ["n"], at: node.mark)
        guard text.contains("{n}") else { return .folder(text) }
        let pieces = try Placeholders.split(text, allowed: Placeholders.scenario + ["n"])
        guard pieces.filter({ $0 == .placeholder("n") }).count == 1 else {
            throw reader.error("'store' pattern must hold '{n}' once, as in receive{n}.txt", at: node.mark)
        }
        guard let name = StoreSpec.pattern(text).namePattern, name.contains("{n}") else {
            throw reader.error("'store' pattern must have '{n}' in the file name, not in a folder", at: node.mark)
        }
        return .pattern(text)
    }

    /// A relative path to a file inside its folder: no leading `/`, no `..` or `.` part, not the
    /// folder itself.
    static func isInsideFolder(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return !path.isEmpty && !path.hasPrefix("/") && !path.hasSuffix("/") && parts.allSatisfy { !$0.isEmpty && $0 != ".." && $0 != "." }
    }

    func existingFolder(_ text: String, _ key: String, at mark: Mark) throws {
        let full = resolve(text)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), isFolder.boolValue else {
            throw reader.error("'\(key)' folder '\(text)' not found (looked for \(full))", at: mark)
        }
    }
}
