import FerryCore
import Foundation

/// Reads and validates scenario files. Every problem is a `SourceError` with file, line and column.
public enum ScenarioLoader {
    /// Loads the scenario at `path`.
    /// - Throws: `SourceError` for a YAML or validation error, `FerryError` when the file cannot be read.
    public static func load(path: String) throws -> Scenario {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FerryError("\(path): cannot read the scenario file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FerryError("\(path): the scenario file is not UTF-8 text")
        }
        return try decode(text, path: path)
    }

    /// Decodes scenario text; relative paths in it are taken from the folder of `path`.
    public static func decode(_ text: String, path: String) throws -> Scenario {
        let root = try YAMLDocument.parse(text, path: path)
        let reader = NodeReader(path: path, text: text)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try ScenarioDecoder(reader: reader, folder: folder).scenario(root)
    }
}

private struct ScenarioDecoder {
    let reader: NodeReader
    let folder: String

    func scenario(_ root: YAMLNode) throws -> Scenario {
        let fields = try reader.mapping(
            root, named: "", allowed: ["name", "description", "network", "transfer", "server", "client", "timeouts", "expect"],
            required: ["transfer"])
        let name = try fields["name"].map { try reader.string($0, "name") }
            ?? URL(fileURLWithPath: reader.path).deletingPathExtension().lastPathComponent
        let transfer = try self.transfer(fields["transfer"]!)
        return Scenario(
            path: reader.path,
            name: name,
            description: try fields["description"].map { try reader.string($0, "description") },
            network: try network(fields["network"]),
            transfer: transfer,
            server: try fields["server"].map { try command($0, side: "server") },
            client: try fields["client"].map { try command($0, side: "client") },
            timeouts: try timeouts(fields["timeouts"]),
            expect: try expectations(fields["expect"]))
    }

    func network(_ node: YAMLNode?) throws -> NetworkSpec {
        guard let node else { return NetworkSpec(impair: nil, isolation: .auto, serverIP: nil, clientIP: nil) }
        let fields = try reader.mapping(node, named: "network", allowed: ["isolation", "server_ip", "client_ip", "impair"])
        var isolation = Isolation.auto
        if let value = fields["isolation"] {
            let text = try reader.string(value, "isolation")
            guard let parsed = Isolation(rawValue: text) else {
                throw reader.error("'isolation' must be auto, namespaces or host, not '\(text)'", at: value.mark)
            }
            isolation = parsed
        }
        let serverIP = try fields["server_ip"].map { try address($0, "server_ip", allowAuto: true) }
        let clientIP = try fields["client_ip"].map { try address($0, "client_ip", allowAuto: false) }
        if let serverIP, let clientIP, serverIP == clientIP {
            throw reader.error("'client_ip' must differ from 'server_ip'", at: fields["client_ip"]!.mark)
        }
        let impair = try fields["impair"].map { try self.impair($0) }
        if impair != nil && isolation == .host {
            throw reader.error("'impair' needs namespace isolation, not 'host'", at: fields["impair"]!.mark)
        }
        return NetworkSpec(impair: impair, isolation: isolation, serverIP: serverIP, clientIP: clientIP)
    }

    func impair(_ node: YAMLNode) throws -> ImpairSpec {
        let netemKeys = ["delay", "jitter", "duplicate", "reorder", "corrupt"]
        let fields = try reader.mapping(node, named: "impair", allowed: ["loss", "direction", "rate"] + netemKeys)
        var result = ImpairSpec(losses: nil, direction: .both, rate: nil, netem: [])
        if let value = fields["loss"] {
            result.losses = try reader.oneOrMany(value, "loss") { item in
                let percent = try reader.percentage(item, "loss")
                guard percent < 100 else { throw reader.error("'loss' must be below 100%", at: item.mark) }
                return percent
            }
        }
        if let value = fields["direction"] {
            let text = try reader.string(value, "direction")
            guard let direction = ImpairSpec.Direction(rawValue: text) else {
                throw reader.error("'direction' must be to_server, to_client or both, not '\(text)'", at: value.mark)
            }
            result.direction = direction
        }
        if let value = fields["rate"] {
            let text = try reader.string(value, "rate")
            guard let bits = Quantities.rate(text), bits > 0 else {
                throw reader.error("'rate' must be a rate such as 100mbit or 1gbit, not '\(text)'", at: value.mark)
            }
            result.rate = ImpairSpec.Rate(bitsPerSecond: bits, text: text)
        }
        for key in netemKeys {
            guard let value = fields[key] else { continue }
            let text = try reader.string(value, key)
            let valid = key == "delay" || key == "jitter" ? Quantities.duration(text) != nil : Quantities.percentage(text) != nil
            guard valid else {
                let kind = key == "delay" || key == "jitter" ? "a duration such as 20ms" : "a percentage such as 1%"
                throw reader.error("'\(key)' must be \(kind), not '\(text)'", at: value.mark)
            }
            result.netem.append(ImpairSpec.NetemSetting(key: key, value: text, mark: value.mark))
        }
        return result
    }

    func address(_ node: YAMLNode, _ key: String, allowAuto: Bool) throws -> String {
        let text = try reader.string(node, key)
        if allowAuto && text == "auto" { return text }
        let parsed: SocketAddress
        do {
            parsed = try SocketAddress(host: text, port: 0)
        } catch {
            throw reader.error("'\(key)' must be an IPv4 or IPv6 address\(allowAuto ? " or auto" : ""), not '\(text)'", at: node.mark)
        }
        if parsed.isLoopback || text.lowercased() == "localhost" {
            throw reader.error("'\(key)' \(text) is a loopback address: the transfer must use a real network address", at: node.mark)
        }
        return parsed.host
    }

    func transfer(_ node: YAMLNode) throws -> TransferSpec {
        let fields = try reader.mapping(
            node, named: "transfer", allowed: ["protocol", "port", "file", "standard", "repetitions", "buffer_sizes"],
            required: ["file"])
        let file = try existingFile(fields["file"]!, "file")
        let protocols = try fields["protocol"].map { try reader.oneOrMany($0, "protocol") { try transport($0) } } ?? [.tcp]
        var bufferSizes: [Int]?
        if let node = fields["buffer_sizes"] {
            let limit = protocols.map(\.maximumBufferSize).min() ?? (64 << 20)
            bufferSizes = try reader.oneOrMany(node, "buffer_sizes") { item in
                let size = Int(try reader.size(item, "buffer_sizes", in: 1...(64 << 20)))
                if size > limit, let tight = protocols.first(where: { $0.maximumBufferSize < size }) {
                    throw reader.error(
                        "'buffer_sizes' \(size) is too large for \(tight.rawValue): at most \(tight.maximumBufferSize) bytes per datagram",
                        at: item.mark)
                }
                return size
            }
        }
        return TransferSpec(
            protocols: protocols,
            port: try fields["port"].map { try reader.integer($0, "port", in: 1...65535) } ?? 5001,
            file: file,
            standard: try fields["standard"].map { try existingFile($0, "standard") } ?? file,
            repetitions: try fields["repetitions"].map { try reader.integer($0, "repetitions", in: 1...1_000_000) } ?? 100,
            bufferSizes: bufferSizes)
    }

    func transport(_ node: YAMLNode) throws -> TransportProtocol {
        let text = try reader.string(node, "protocol")
        guard let value = TransportProtocol(rawValue: text) else {
            let known = TransportProtocol.allCases.map(\.rawValue).joined(separator: ", ")
            throw reader.error("'protocol' must be one of \(known), not '\(text)'", at: node.mark)
        }
        return value
    }

    func existingFile(_ node: YAMLNode, _ key: String) throws -> String {
        let text = try reader.string(node, key)
        let full = resolve(text)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue else {
            throw reader.error("'\(key)' file '\(text)' not found (looked for \(full))", at: node.mark)
        }
        return full
    }

    func resolve(_ text: String) -> String {
        let url = text.hasPrefix("/") ? URL(fileURLWithPath: text) : URL(fileURLWithPath: folder).appendingPathComponent(text)
        return url.standardizedFileURL.path
    }

    func command(_ node: YAMLNode, side: String) throws -> CommandSpec {
        let allowed = side == "server" ? ["command", "cwd", "env", "store", "ready"] : ["command", "cwd", "env"]
        let fields = try reader.mapping(node, named: side, allowed: allowed, required: ["command"])
        let commandNode = fields["command"]!
        let command = try reader.stringList(commandNode, "command")
        for argument in command { try checkPlaceholders(argument, Placeholders.scenario, at: commandNode.mark) }
        var cwd: String?
        if let value = fields["cwd"] {
            let text = try reader.string(value, "cwd")
            let full = resolve(text)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), isFolder.boolValue else {
                throw reader.error("'cwd' folder '\(text)' not found (looked for \(full))", at: value.mark)
            }
            cwd = full
        }
        return CommandSpec(
            command: command, cwd: cwd,
            environment: try fields["env"].map { try reader.stringMap($0, "env") } ?? [:],
            store: try fields["store"].map { try reader.string($0, "store") },
            ready: try fields["ready"].map { try reader.string($0, "ready") })
    }

    func timeouts(_ node: YAMLNode?) throws -> Timeouts {
        var result = Timeouts(ready: 10, caseLimit: 300)
        guard let node else { return result }
        let fields = try reader.mapping(node, named: "timeouts", allowed: ["ready", "case"])
        if let value = fields["ready"] { result.ready = try reader.duration(value, "ready") }
        if let value = fields["case"] { result.caseLimit = try reader.duration(value, "case") }
        return result
    }

    func expectations(_ node: YAMLNode?) throws -> Expectations {
        var result = Expectations(
            exitCode: 0, maxIncorrect: nil, minIncorrect: nil, maxErrorRate: nil, maxAverageMs: nil, seed: true, server: [],
            client: [], match: MatchOptions(), overrides: [])
        guard let node else {
            result.maxIncorrect = 0
            return result
        }
        let fields = try reader.mapping(
            node, named: "expect",
            allowed: [
                "exit_code", "max_incorrect", "min_incorrect", "max_error_rate", "max_average_ms", "messages", "server", "client",
                "match", "overrides",
            ])
        if let value = fields["exit_code"] { result.exitCode = Int32(try reader.integer(value, "exit_code", in: 0...255)) }
        if let value = fields["max_incorrect"] { result.maxIncorrect = try reader.integer(value, "max_incorrect", in: 0...1_000_000) }
        if let value = fields["max_error_rate"] {
            guard fields["max_incorrect"] == nil else {
                throw reader.error("give either 'max_incorrect' or 'max_error_rate', not both", at: value.mark)
            }
            result.maxErrorRate = try reader.percentage(value, "max_error_rate")
        }
        if result.maxIncorrect == nil && result.maxErrorRate == nil { result.maxIncorrect = 0 }
        if let value = fields["max_average_ms"] { result.maxAverageMs = try reader.number(value, "max_average_ms", atLeast: 0) }
        if let value = fields["min_incorrect"] { result.minIncorrect = try reader.integer(value, "min_incorrect", in: 0...1_000_000) }
        if let value = fields["overrides"] {
            guard case .sequence(let items) = value.content else {
                throw reader.error("'overrides' must be a list, not \(value.kindName)", at: value.mark)
            }
            result.overrides = try items.map(override)
        }
        if let value = fields["server"] { result.server = try rules(value, "server") }
        if let value = fields["client"] { result.client = try rules(value, "client") }
        result.seed = fields["server"] == nil && fields["client"] == nil
        if let value = fields["messages"] {
            let text = try reader.string(value, "messages")
            guard text == "seed" || text == "none" else {
                throw reader.error("'messages' must be seed or none, not '\(text)'", at: value.mark)
            }
            result.seed = text == "seed"
        }
        if let value = fields["match"] {
            let match = try reader.mapping(value, named: "match", allowed: ["ignore_case", "quotes"])
            if let flag = match["ignore_case"] { result.match.ignoreCase = try reader.bool(flag, "ignore_case") }
            if let quotes = match["quotes"] {
                let text = try reader.string(quotes, "quotes")
                guard text == "ignore" || text == "fold" else {
                    throw reader.error("'quotes' must be fold or ignore, not '\(text)'", at: quotes.mark)
                }
                result.match.ignoreQuotes = text == "ignore"
            }
        }
        return result
    }

    func override(_ node: YAMLNode) throws -> ExpectationOverride {
        let fields = try reader.mapping(
            node, named: "overrides",
            allowed: ["protocol", "loss", "buffer_size", "max_incorrect", "max_error_rate", "min_incorrect", "max_average_ms"])
        if fields["max_incorrect"] != nil, let rate = fields["max_error_rate"] {
            throw reader.error("give either 'max_incorrect' or 'max_error_rate', not both", at: rate.mark)
        }
        return ExpectationOverride(
            transport: try fields["protocol"].map { try transport($0) },
            loss: try fields["loss"].map { try reader.percentage($0, "loss") },
            bufferSize: try fields["buffer_size"].map { Int(try reader.size($0, "buffer_size", in: 1...(64 << 20))) },
            maxIncorrect: try fields["max_incorrect"].map { try reader.integer($0, "max_incorrect", in: 0...1_000_000) },
            maxErrorRate: try fields["max_error_rate"].map { try reader.percentage($0, "max_error_rate") },
            minIncorrect: try fields["min_incorrect"].map { try reader.integer($0, "min_incorrect", in: 0...1_000_000) },
            maxAverageMs: try fields["max_average_ms"].map { try reader.number($0, "max_average_ms", atLeast: 0) })
    }

    func rules(_ node: YAMLNode, _ key: String) throws -> [MessageRule] {
        guard case .sequence(let items) = node.content else {
            throw reader.error("'\(key)' must be a list of expected messages, not \(node.kindName)", at: node.mark)
        }
        return try items.map { item in
            if let text = item.scalar {
                try checkPlaceholders(text, Placeholders.scenario, at: item.mark)
                return MessageRule(.contains, text, mark: item.mark)
            }
            let kinds = ["each", "once", "regex", "absent"]
            let fields = try reader.mapping(item, named: key, allowed: kinds)
            guard fields.entries.count == 1, let entry = fields.entries.first, let kind = MessageRule.Kind(rawValue: entry.key) else {
                throw reader.error("each expected message is \"text\" or one of {each|once|regex|absent: text}", at: item.mark)
            }
            let text = try reader.string(entry.value, entry.key)
            switch kind {
            case .each, .once: try checkPlaceholders(text, Placeholders.scenario + Placeholders.template, at: entry.value.mark)
            case .regex:
                do { _ = try NSRegularExpression(pattern: text) } catch {
                    throw reader.error("'regex' is not a valid regular expression: \(text)", at: entry.value.mark)
                }
            case .contains, .absent: try checkPlaceholders(text, Placeholders.scenario, at: entry.value.mark)
            }
            return MessageRule(kind, text, mark: entry.value.mark)
        }
    }

    func checkPlaceholders(_ text: String, _ allowed: [String], at mark: Mark) throws {
        do {
            _ = try Placeholders.split(text, allowed: allowed)
        } catch {
            throw reader.error(error.message, at: mark)
        }
    }
}
