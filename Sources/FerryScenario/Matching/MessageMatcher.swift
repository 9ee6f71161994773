import Foundation

/// Checks a side's output against an ordered list of expected messages, judging every entry.
///
/// Entries are checked in order, each searched from where the previous one matched: a run of
/// `each` entries is checked transfer by transfer (entry 1 for n=1, entry 2 for n=1, ..., then
/// entry 1 for n=2), so a `once` or text entry before the run must come before all of it.
/// `once` also requires exactly one matching line in the whole output; `absent` requires that no
/// stdout or stderr line contains its text.
///
/// A miss does not stop the check: the search goes on from where it was, so a later entry (the
/// assignment's "I am done") is judged even when an earlier one (the time lines) was missing, and
/// an `each` entry counts the transfers that have their line.
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

    /// How one entry went.
    public struct EntryResult: Equatable, Sendable {
        /// Index of the rule in `rules`.
        public var index: Int
        /// Lines found where they belong: transfers for `each`, 1 or 0 otherwise.
        public var met: Int
        /// Lines required: the repetitions for `each`, 1 otherwise.
        public var required: Int
        /// The first miss, or nil when the entry was met.
        public var failure: Failure?
        /// An `each` entry met for every transfer but the last, with a line numbered 0 in the
        /// output: the program likely counts from 0 (`counter_base: 0`).
        public var seemsToCountFromZero = false

        public var passed: Bool { failure == nil }
    }

    /// What checking found.
    public struct Outcome: Equatable, Sendable {
        /// One result per rule, in rule order.
        public var entries: [EntryResult] = []
        /// How many stdout lines there were.
        public var stdoutLines = 0

        public init(entries: [EntryResult] = [], stdoutLines: Int = 0) {
            self.entries = entries
            self.stdoutLines = stdoutLines
        }

        /// The first expectation that was not met, or nil.
        public var failure: Failure? { entries.lazy.compactMap(\.failure).first }
        /// How many entries were met.
        public var checked: Int { entries.filter(\.passed).count }
    }

    public struct Failure: Equatable, Sendable, CustomStringConvertible {
        /// The rule, as written.
        public var rule: MessageRule
        /// The line that was expected, placeholders filled in.
        public var expected: String
        /// Why it failed.
        public var reason: String
        /// Index of the output line where the search was when it failed.
        public var position: Int
        /// How many lines were missing or out of place (transfers for `each`).
        public var misses = 1

        public var description: String { "\(reason): \(expected)" }
    }

    /// Checks `stdout` (and `stderr` for `absent`).
    public func check(stdout: [String], stderr: [String] = []) -> Outcome {
        let lines = stdout.map(normalizer.normalize)
        var outcome = Outcome(stdoutLines: lines.count)
        var cursor = 0
        var index = 0
        while index < rules.count {
            if rules[index].kind == .each {
                var block: [Int] = []
                while index < rules.count, rules[index].kind == .each {
                    block.append(index)
                    index += 1
                }
                outcome.entries += checkEach(block, lines, &cursor)
                continue
            }
            outcome.entries.append(checkSingle(index, lines, stderr, &cursor))
            index += 1
        }
        return outcome
    }

    /// The number a program prints for transfer `n` (1-based), given its counter base.
    func printed(_ n: Int) -> Int { n - 1 + normalizer.options.counterBase }

    func template(_ rule: MessageRule) -> MessageTemplate? {
        try? MessageTemplate(rule.text, values: values, normalizer: normalizer)
    }

    /// A `contains` or `absent` entry's text, placeholders filled in, normalized.
    func text(_ rule: MessageRule) -> String {
        normalizer.normalize(Placeholders.expand(rule.text, with: values))
    }

    /// A `regex` entry's expression; nil when it does not compile.
    static func expression(_ rule: MessageRule, _ normalizer: LineNormalizer) -> NSRegularExpression? {
        try? NSRegularExpression(pattern: rule.text, options: normalizer.options.ignoreCase ? [.caseInsensitive] : [])
    }

    static func matches(_ expression: NSRegularExpression, _ line: String) -> Bool {
        expression.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil
    }

    /// Why an entry failed, worded once for both matchers.
    enum Reason {
        /// The most line numbers a `once` failure lists.
        static let listedLines = 20
        static let invalidTemplate = "invalid template"
        static let invalidExpression = "invalid regular expression"
        static let forbidden = "forbidden text present"

        static func transfer(_ n: Int, numbered number: Int, anywhere: Bool) -> String {
            let numbered = number == n ? "" : " (numbered \(number))"
            return anywhere ? "line for transfer \(n)\(numbered) out of order" : "missing line for transfer \(n)\(numbered)"
        }

        static func single(anywhere: Bool) -> String { anywhere ? "line out of order" : "missing line" }
        static func regex(anywhere: Bool) -> String { anywhere ? "line out of order" : "no line matches" }

        static func once(found: Int, lines: some Collection<Int>) -> String {
            guard found > 0 else { return "missing line" }
            let more = found > lines.count ? ", …" : ""
            return "expected exactly one line, found \(found) (lines \(lines.map { String($0 + 1) }.joined(separator: ", "))\(more))"
        }

        /// An `each` entry that numbers its lines can hint at a program counting from 0.
        static func mayCountFromZero(_ rule: MessageRule) -> Bool { rule.text.contains("{n") }
    }

    private func checkEach(_ block: [Int], _ lines: [String], _ cursor: inout Int) -> [EntryResult] {
        var results = block.map { EntryResult(index: $0, met: 0, required: repetitions) }
        let templates = block.map { template(rules[$0]) }
        // Whether any line matches the entry for some transfer; once false, later transfers
        // cannot match either, and are counted without searching.
        var matchesSomeLine: [Bool?] = Array(repeating: nil, count: block.count)
        for n in stride(from: 1, through: repetitions, by: 1) {
            let number = printed(n)
            for (position, ruleIndex) in block.enumerated() {
                let rule = rules[ruleIndex]
                guard let compiled = templates[position] else {
                    if results[position].failure == nil {
                        results[position].failure = Failure(rule: rule, expected: rule.text, reason: Reason.invalidTemplate, position: cursor)
                    }
                    continue
                }
                if matchesSomeLine[position] == nil {
                    matchesSomeLine[position] = lines.contains { compiled.match($0) != nil }
                }
                var found: Int?
                if matchesSomeLine[position] == true {
                    found = (cursor..<lines.count).first { compiled.match(lines[$0], transfer: number) != nil }
                }
                guard let lineIndex = found else {
                    if results[position].failure == nil {
                        let anywhere = matchesSomeLine[position] == true && lines.contains { compiled.match($0, transfer: number) != nil }
                        results[position].failure = Failure(
                            rule: rule, expected: compiled.display(for: number),
                            reason: Reason.transfer(n, numbered: number, anywhere: anywhere), position: cursor)
                    } else {
                        results[position].failure?.misses += 1
                    }
                    continue
                }
                results[position].met += 1
                cursor = lineIndex + 1
            }
        }
        for (position, ruleIndex) in block.enumerated() where normalizer.options.counterBase == 1 && results[position].met == repetitions - 1 {
            guard results[position].failure?.reason == Reason.transfer(repetitions, numbered: printed(repetitions), anywhere: false),
                Reason.mayCountFromZero(rules[ruleIndex]), let compiled = templates[position]
            else { continue }
            results[position].seemsToCountFromZero = lines.contains { compiled.match($0, transfer: 0) != nil }
        }
        return results
    }

    private func checkSingle(_ ruleIndex: Int, _ lines: [String], _ stderr: [String], _ cursor: inout Int) -> EntryResult {
        let rule = rules[ruleIndex]
        var result = EntryResult(index: ruleIndex, met: 0, required: 1)
        let position = cursor
        let fail = { (reason: String, expected: String) -> EntryResult in
            result.failure = Failure(rule: rule, expected: expected, reason: reason, position: position)
            return result
        }
        switch rule.kind {
        case .each:
            preconditionFailure("each is checked in blocks")
        case .contains:
            let text = text(rule)
            guard let found = lines[cursor...].firstIndex(where: { TextSearch.contains($0, text) }) else {
                return fail(Reason.single(anywhere: lines.contains { TextSearch.contains($0, text) }), text)
            }
            cursor = found + 1
        case .regex:
            guard let expression = Self.expression(rule, normalizer) else { return fail(Reason.invalidExpression, rule.text) }
            let matches = { (line: String) in Self.matches(expression, line) }
            guard let found = lines[cursor...].firstIndex(where: matches) else {
                return fail(Reason.regex(anywhere: lines.contains(where: matches)), rule.text)
            }
            cursor = found + 1
        case .once:
            guard let compiled = template(rule) else { return fail(Reason.invalidTemplate, rule.text) }
            let hits = lines.indices.filter { compiled.match(lines[$0]) != nil }
            guard hits.count == 1, let found = hits.first else {
                return fail(Reason.once(found: hits.count, lines: hits.prefix(Reason.listedLines)), compiled.display)
            }
            guard found >= cursor else { return fail(Reason.single(anywhere: true), compiled.display) }
            cursor = found + 1
        case .absent:
            let text = text(rule)
            if let found = (lines + stderr.map(normalizer.normalize)).firstIndex(where: { TextSearch.contains($0, text) }) {
                result.failure = Failure(rule: rule, expected: text, reason: Reason.forbidden, position: min(found, lines.count))
                return result
            }
        }
        result.met = 1
        return result
    }
}
