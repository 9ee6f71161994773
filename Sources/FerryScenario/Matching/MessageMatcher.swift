import Foundation

/// Checks a side's output against an ordered list of expected messages.
///
/// Entries are checked in order, each searched from where the previous one matched: a run of
/// `each` entries is checked transfer by transfer (entry 1 for n=1, entry 2 for n=1, ..., then
/// entry 1 for n=2), so a `once` or text entry before the run must come before all of it.
/// `once` also requires exactly one matching line in the whole output; `absent` requires that no
/// stdout or stderr line contains its text.
public struct MessageMatcher {
    public let rules: [MessageRule]
    public let values: [String: String]
    public let repetitions: Int
    public let normalizer: LineNormalizer

    public init(rules: [MessageRule], values: [String: String], repetitions: Int, options: MatchOptions) {
        self.rules = rules
        self.values = values
        self.repetitions = repetitions
        self.normalizer = LineNormalizer(options)
    }

    /// What checking found.
    public struct Outcome: Equatable {
        /// The first expectation that was not met, or nil.
        public var failure: Failure?
        /// `{ms}` figures captured, by rule index: one per transfer for `each`, one for `once`.
        public var captured: [Int: [Double]] = [:]
        /// How many entries were checked and met.
        public var checked = 0
    }

    public struct Failure: Equatable, CustomStringConvertible {
        /// The rule, as written.
        public var rule: MessageRule
        /// The line that was expected, placeholders filled in.
        public var expected: String
        /// Why it failed.
        public var reason: String
        /// Index of the output line where the search was when it failed.
        public var position: Int

        public var description: String { "\(reason): \(expected)" }
    }

    /// Checks `stdout` (and `stderr` for `absent`).
    public func check(stdout: [String], stderr: [String] = []) -> Outcome {
        let lines = stdout.map(normalizer.normalize)
        var outcome = Outcome()
        var cursor = 0
        var index = 0
        while index < rules.count {
            let rule = rules[index]
            if rule.kind == .each {
                var block: [Int] = []
                while index < rules.count, rules[index].kind == .each {
                    block.append(index)
                    index += 1
                }
                if let failure = checkEach(block, lines, &cursor, &outcome) {
                    outcome.failure = failure
                    return outcome
                }
                continue
            }
            if let failure = checkSingle(index, lines, stderr, &cursor, &outcome) {
                outcome.failure = failure
                return outcome
            }
            index += 1
        }
        return outcome
    }

    private func template(_ rule: MessageRule) -> MessageTemplate? {
        try? MessageTemplate(rule.text, values: values, normalizer: normalizer)
    }

    private func checkEach(_ block: [Int], _ lines: [String], _ cursor: inout Int, _ outcome: inout Outcome) -> Failure? {
        let templates = block.map { template(rules[$0]) }
        for n in stride(from: 1, through: repetitions, by: 1) {
            for (position, ruleIndex) in block.enumerated() {
                guard let compiled = templates[position] else {
                    return Failure(rule: rules[ruleIndex], expected: rules[ruleIndex].text, reason: "invalid template", position: cursor)
                }
                var found: (Int, MessageTemplate.Match)?
                for lineIndex in cursor..<lines.count {
                    if let match = compiled.match(lines[lineIndex], transfer: n) {
                        found = (lineIndex, match)
                        break
                    }
                }
                guard let (lineIndex, match) = found else {
                    let anywhere = lines.contains { compiled.match($0, transfer: n) != nil }
                    return Failure(
                        rule: rules[ruleIndex], expected: compiled.display(for: n),
                        reason: anywhere ? "line for transfer \(n) out of order" : "missing line for transfer \(n)",
                        position: cursor)
                }
                if let ms = match.ms { outcome.captured[ruleIndex, default: []].append(ms) }
                cursor = lineIndex + 1
            }
        }
        outcome.checked += block.count
        return nil
    }

    private func checkSingle(
        _ ruleIndex: Int, _ lines: [String], _ stderr: [String], _ cursor: inout Int, _ outcome: inout Outcome
    ) -> Failure? {
        let rule = rules[ruleIndex]
        let position = cursor
        let fail = { (reason: String, expected: String) in
            Failure(rule: rule, expected: expected, reason: reason, position: position)
        }
        switch rule.kind {
        case .each:
            preconditionFailure("each is checked in blocks")
        case .contains:
            let text = normalizer.normalize(Placeholders.expand(rule.text, with: values))
            guard let found = lines[cursor...].firstIndex(where: { $0.contains(text) }) else {
                return fail(lines.contains { $0.contains(text) } ? "line out of order" : "missing line", text)
            }
            cursor = found + 1
        case .regex:
            guard let expression = try? NSRegularExpression(
                pattern: rule.text, options: normalizer.options.ignoreCase ? [.caseInsensitive] : [])
            else { return fail("invalid regular expression", rule.text) }
            let matches = { (line: String) in expression.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil }
            guard let found = lines[cursor...].firstIndex(where: matches) else {
                return fail(lines.contains(where: matches) ? "line out of order" : "no line matches", rule.text)
            }
            cursor = found + 1
        case .once:
            guard let compiled = template(rule) else { return fail("invalid template", rule.text) }
            let hits = lines.indices.compactMap { index in compiled.match(lines[index]).map { (index, $0) } }
            guard hits.count == 1, let (found, match) = hits.first else {
                let reason = hits.isEmpty
                    ? "missing line" : "expected exactly one line, found \(hits.count) (lines \(hits.map { String($0.0 + 1) }.joined(separator: ", ")))"
                return fail(reason, compiled.display)
            }
            guard found >= cursor else { return fail("line out of order", compiled.display) }
            if let ms = match.ms { outcome.captured[ruleIndex, default: []].append(ms) }
            cursor = found + 1
        case .absent:
            let text = normalizer.normalize(Placeholders.expand(rule.text, with: values))
            if let found = (lines + stderr.map(normalizer.normalize)).firstIndex(where: { $0.contains(text) }) {
                return Failure(rule: rule, expected: text, reason: "forbidden text present", position: min(found, lines.count))
            }
        }
        outcome.checked += 1
        return nil
    }
}
