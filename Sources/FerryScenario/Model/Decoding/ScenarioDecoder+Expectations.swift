import FerryCore
import Foundation

extension ScenarioDecoder {
    func expectations(_ node: YAMLNode?) throws -> Expectations {
        var result = Expectations(maxIncorrect: nil)
        guard let node else {
            result.maxIncorrect = 0
            return result
        }
        let fields = try reader.mapping(
            node, named: "expect",
            allowed: [
                "exit_code", "max_incorrect", "min_incorrect", "max_error_rate", "max_average_ms", "messages", "server", "client",
                "match", "overrides", "counter_base", "points",
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
        if let value = fields["messages"] {
            let text = try reader.string(value, "messages")
            guard text == "seed" || text == "none" else {
                throw reader.error("'messages' must be seed or none, not '\(text)'", at: value.mark)
            }
            result.seed = text == "seed"
        }
        if let value = fields["match"] { result.match = try match(value) }
        if let value = fields["counter_base"] { result.match.counterBase = try reader.integer(value, "counter_base", in: 0...1) }
        if let value = fields["points"] { result.points = try points(value) }
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

    /// `match`: `exact`, `loose`, or a mapping of the single rules.
    func match(_ node: YAMLNode) throws -> MatchOptions {
        if let text = node.scalar {
            switch text {
            case "exact": return MatchOptions()
            case "loose": return .loose
            default: throw reader.error("'match' must be exact, loose or a mapping, not '\(text)'", at: node.mark)
            }
        }
        var options = MatchOptions()
        let match = try reader.mapping(node, named: "match", allowed: ["ignore_case", "quotes", "punctuation", "ordinals"])
        if let flag = match["ignore_case"] { options.ignoreCase = try reader.bool(flag, "ignore_case") }
        if let value = match["quotes"] {
            options.ignoreQuotes = try choice(value, "quotes", ["fold", "ignore"]) == "ignore"
        }
        if let value = match["punctuation"] {
            options.ignorePunctuation = try choice(value, "punctuation", ["keep", "ignore"]) == "ignore"
        }
        if let value = match["ordinals"] {
            options.anyOrdinal = try choice(value, "ordinals", ["exact", "any"]) == "any"
        }
        return options
    }

    func choice(_ node: YAMLNode, _ key: String, _ allowed: [String]) throws -> String {
        let text = try reader.string(node, key)
        guard allowed.contains(text) else {
            throw reader.error("'\(key)' must be \(allowed.joined(separator: " or ")), not '\(text)'", at: node.mark)
        }
        return text
    }

    /// `points`: check name → points, for the built-in checks.
    func points(_ node: YAMLNode) throws -> [String: Double] {
        guard case .mapping(let entries) = node.content else {
            throw reader.error("'points' must be a mapping of check name to points, not \(node.kindName)", at: node.mark)
        }
        var result: [String: Double] = [:]
        for entry in entries {
            let known = CheckName.builtIn
            guard known.contains(entry.key) else {
                var message = "unknown check '\(entry.key)' in 'points'"
                if let suggestion = Spelling.nearest(to: entry.key, in: known) { message += " (did you mean '\(suggestion)'?)" }
                if entry.key.contains(".messages.") { message += "; give a message entry its points with 'points:' in the entry" }
                throw reader.error(message, at: entry.keyMark)
            }
            result[entry.key] = try reader.number(entry.value, entry.key, atLeast: 0)
        }
        return result
    }

    func rules(_ node: YAMLNode, _ key: String) throws -> [MessageRule] {
        guard case .sequence(let items) = node.content else {
            throw reader.error("'\(key)' must be a list of expected messages, not \(node.kindName)", at: node.mark)
        }
        return try items.enumerated().map { position, item in
            let defaultName = String(position + 1)
            if let text = item.scalar {
                try checkPlaceholders(text, Placeholders.scenario, at: item.mark)
                return MessageRule(.contains, text, name: defaultName, mark: item.mark)
            }
            let kinds = ["each", "once", "regex", "absent"]
            let fields = try reader.mapping(item, named: key, allowed: kinds + ["points", "name"])
            let kindEntries = fields.entries.filter { kinds.contains($0.key) }
            guard kindEntries.count == 1, let entry = kindEntries.first, let kind = MessageRule.Kind(rawValue: entry.key) else {
                throw reader.error(
                    "each expected message is \"text\" or one of {each|once|regex|absent: text}, with optional points and name",
                    at: item.mark)
            }
            let points = try fields["points"].map { try reader.number($0, "points", atLeast: 0) }
            var name = defaultName
            if let value = fields["name"] {
                name = try reader.string(value, "name")
                guard ScenarioDecoder.isHostname(name) else {
                    throw reader.error("'name' must be letters, digits, '-' and '.', not '\(name)'", at: value.mark)
                }
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
            return MessageRule(kind, text, name: name, points: points, mark: entry.value.mark)
        }
    }
}
