import Foundation

/// Judges a side's output as it arrives, line by line, with `MessageMatcher`'s judgement (the
/// reference: the whole output in memory) but without keeping the output.
///
/// `MessageMatcher` searches each expected line from where the previous one was found; a line
/// that is never found leaves the search where it was, so the next expectation is searched from
/// there again. Fed line by line, the matcher waits for one expectation at a time and moves on when
/// a line meets it, keeping only the lines since the last one found (at most `keptLines`): they
/// are what the next expectations are searched in if the awaited line turns out missing. At
/// the end, a missing line is counted and the search goes on over those kept lines; when more
/// were seen than it keeps, over the lines read again through `reread`, from the log the runner
/// writes as they arrive.
///
/// What is checked on every line is cheap: the awaited expectation, the `once` entries (a
/// `once` line must be the only one), the `absent` texts, and, until each `each` entry has
/// matched some line, whether it does. Why an entry failed (missing or out of order, counting
/// from 0) is only asked once the output has ended, from the lines read again.
public struct IncrementalMatcher {
    private let reference: MessageMatcher
    private var rules: [MessageRule] { reference.rules }
    private var normalizer: LineNormalizer { reference.normalizer }
    private var repetitions: Int { reference.repetitions }

    /// The most lines since the last one found that are kept by default; beyond, they are read again.
    public static let defaultKeptLines = 20_000
    private let keptLines: Int

    /// One expected line, or a run of `each` entries expected for every transfer in turn.
    private enum Segment {
        case single(Int)
        case each([Int])
    }

    private let segments: [Segment]
    private let templates: [MessageTemplate?]
    private let texts: [String?]
    private let expressions: [NSRegularExpression?]

    // What every line adds, whatever is awaited.
    private var onceHits: [Int: [Int]] = [:]
    private var onceHitCount: [Int: Int] = [:]
    private var absentAt: [Int: Int] = [:]
    private var absentInStderr: Set<Int> = []
    /// `each` entries known to match some line (any transfer).
    private var matchedSomeLine: Set<Int> = []
    private var stdoutCount = 0

    // The search.
    private var segment = 0
    private var step = 0
    private var cursor = 0
    private var results: [MessageMatcher.EntryResult]
    /// `once` entries taken while later lines could still add a second: (rule, line).
    private var provisional: [(rule: Int, line: Int)] = []
    /// Normalized lines since the last one found, with their index; nil once more were seen.
    private var kept: [(index: Int, line: String)]? = []
    private var keptBytes = 0
    /// The most bytes of lines kept, whatever their number.
    public static let keptBytesLimit = 16 << 20
    /// Lines fed again while finishing, and the most that may be: `reread` is read again once
    /// per missing line, from where the search stands, so an output far out of order would
    /// take hours; past the budget what is left fails as not judged.
    private var refed = 0
    private var refeedBudget = 0
    /// Lines that may always be fed again, on top of 20 per stdout line.
    public static let defaultRefeedFloor = 1_000_000
    private let refeedFloor: Int
    /// True once the output has ended: every line is known.
    private var ended = false
    /// Each `each` entry's first missing transfer: n, and the number its line would carry.
    private var firstMiss: [Int: (n: Int, number: Int)] = [:]

    /// - Parameters:
    ///   - keptLines: the most lines since the last one found kept in memory.
    ///   - refeedFloor: lines that may be fed again at the end on top of 20 per stdout line.
    public init(
        rules: [MessageRule], values: [String: String], repetitions: Int, options: MatchOptions, keptLines: Int = defaultKeptLines,
        refeedFloor: Int = defaultRefeedFloor
    ) {
        self.keptLines = keptLines
        self.refeedFloor = refeedFloor
        let reference = MessageMatcher(rules: rules, values: values, repetitions: repetitions, options: options)
        self.reference = reference
        var segments: [Segment] = []
        for (index, rule) in rules.enumerated() {
            if rule.kind == .each {
                if case .each(let block)? = segments.last {
                    segments[segments.count - 1] = .each(block + [index])
                } else {
                    segments.append(.each([index]))
                }
            } else {
                segments.append(.single(index))
            }
        }
        self.segments = segments
        templates = rules.map { [.each, .once].contains($0.kind) ? reference.template($0) : nil }
        texts = rules.map { [.contains, .absent].contains($0.kind) ? reference.text($0) : nil }
        expressions = rules.map { $0.kind == .regex ? MessageMatcher.expression($0, reference.normalizer) : nil }
        results = rules.indices.map { MessageMatcher.EntryResult(index: $0, met: 0, required: rules[$0].kind == .each ? repetitions : 1) }
        settle()
    }

    /// Takes one stdout line, as printed.
    public mutating func stdout(_ raw: String) {
        stdout(normalized: normalizer.normalize(raw))
    }

    /// Takes one stdout line already normalized with the matcher's options (`LineNormalizer`).
    public mutating func stdout(normalized line: String) {
        let index = stdoutCount
        stdoutCount += 1
        for (rule, template) in templates.enumerated() {
            guard let template else { continue }
            if rules[rule].kind == .once {
                if template.match(line) != nil {
                    onceHitCount[rule, default: 0] += 1
                    if onceHits[rule, default: []].count < MessageMatcher.Reason.listedLines { onceHits[rule, default: []].append(index) }
                }
            } else if !matchedSomeLine.contains(rule), template.match(line) != nil {
                matchedSomeLine.insert(rule)
            }
        }
        noteAbsent(line, at: index)
        take(line, at: index)
    }

    /// Takes one stderr line, as printed (only `absent` entries look at stderr).
    public mutating func stderr(_ raw: String) {
        let line = normalizer.normalize(raw)
        for (rule, text) in texts.enumerated() where rules[rule].kind == .absent && !absentInStderr.contains(rule) {
            if let text, TextSearch.contains(line, text) { absentInStderr.insert(rule) }
        }
    }

    private mutating func noteAbsent(_ line: String, at index: Int) {
        for (rule, text) in texts.enumerated() where rules[rule].kind == .absent && absentAt[rule] == nil {
            if let text, TextSearch.contains(line, text) { absentAt[rule] = index }
        }
    }

    /// Ends the output and judges every entry.
    /// - Parameter reread: the stdout lines again, as printed, from the given index on; nil when
    ///   they cannot be read (then what needs them fails as not judged).
    public mutating func finish(reread: (Int) -> AnySequence<String>?) -> MessageMatcher.Outcome {
        ended = true
        refeedBudget = 20 * stdoutCount + refeedFloor
        if provisional.contains(where: { onceHitCount[$0.rule] != 1 }) {
            // A `once` line taken in passing had a second: its entry fails and the search does not
            // move past it. Judge again from the start, now that every line is known.
            restart()
            guard replay(reread(0)) else { return unreadable(refed > refeedBudget ? Self.overBudget : Self.notReadable) }
        }
        // Here the awaited expectation has been looked for in every line since the cursor.
        while true {
            let awaited = (segment, step)
            settle()
            guard segment < segments.count else { break }
            if awaited == (segment, step) {
                missAwaited()
                advance()
                settle()
            }
            // What is awaited now is looked for in the lines since the cursor.
            if let lines = kept {
                kept = []
                keptBytes = 0
                refed += lines.count
                guard refed <= refeedBudget else { return unreadable(Self.overBudget) }
                for (index, line) in lines { take(line, at: index) }
            } else {
                kept = []
                keptBytes = 0
                guard replay(reread(cursor)) else { return unreadable(refed > refeedBudget ? Self.overBudget : Self.notReadable) }
            }
        }
        judgeAbsent()
        explainFailures { reread(0) }
        return MessageMatcher.Outcome(entries: results, stdoutLines: stdoutCount)
    }

    // MARK: the search

    private mutating func restart() {
        segment = 0
        step = 0
        cursor = 0
        kept = []
        keptBytes = 0
        provisional = []
        firstMiss = [:]
        results = rules.indices.map { MessageMatcher.EntryResult(index: $0, met: 0, required: results[$0].required) }
        settle()
    }

    /// Feeds `lines` (as printed, from `cursor` on) to the search; false when they cannot be read.
    private mutating func replay(_ lines: AnySequence<String>?) -> Bool {
        guard let lines else { return false }
        var index = cursor
        for raw in lines {
            refed += 1
            if refed > refeedBudget { return false }
            take(normalizer.normalize(raw), at: index)
            index += 1
        }
        return true
    }

    /// The awaited `each` transfer: the rule, and the number its line carries.
    private func awaitedTransfer() -> (rule: Int, n: Int, number: Int)? {
        guard segment < segments.count, case .each(let block) = segments[segment] else { return nil }
        let n = step / block.count + 1
        return (block[step % block.count], n, reference.printed(n))
    }

    /// The rule awaited now; nil when every entry has been judged.
    private var awaitedRule: Int? {
        guard segment < segments.count else { return nil }
        switch segments[segment] {
        case .single(let rule): return rule
        case .each(let block): return block[step % block.count]
        }
    }

    /// Whether `line` meets the awaited expectation.
    private func meets(_ line: String) -> Bool {
        guard let rule = awaitedRule else { return false }
        switch rules[rule].kind {
        case .each: return awaitedTransfer().flatMap { templates[rule]?.match(line, transfer: $0.number) } != nil
        case .once: return templates[rule]?.match(line) != nil
        case .contains: return texts[rule].map { TextSearch.contains(line, $0) } ?? false
        case .regex: return expressions[rule].map { MessageMatcher.matches($0, line) } ?? false
        case .absent: return false
        }
    }

    private mutating func take(_ line: String, at index: Int) {
        guard let rule = awaitedRule else { return }
        guard meets(line) else {
            if kept != nil {
                kept?.append((index, line))
                keptBytes += line.utf8.count
                if kept!.count > keptLines || keptBytes > Self.keptBytesLimit { kept = nil }
            }
            return
        }
        results[rule].met += 1
        if rules[rule].kind == .once && !ended { provisional.append((rule, index)) }
        cursor = index + 1
        if kept == nil { kept = [] } else { kept!.removeAll(keepingCapacity: true) }
        keptBytes = 0
        advance()
        settle()
    }

    private mutating func advance() {
        step += 1
        if case .each(let block) = segments[segment], step < block.count * repetitions { return }
        segment += 1
        step = 0
    }

    /// Judges the awaited expectations that need no more lines, until one does.
    private mutating func settle() {
        while let rule = awaitedRule {
            let kind = rules[rule].kind
            if kind == .absent {
                advance()  // judged at the end: it never moves the search
            } else if kind == .each, templates[rule] == nil {
                if results[rule].failure == nil {
                    results[rule].failure = failure(rule, expected: rules[rule].text, MessageMatcher.Reason.invalidTemplate)
                }
                advance()
            } else if kind == .each, ended, !matchedSomeLine.contains(rule) {
                missAwaited()
                advance()
            } else if kind == .once, templates[rule] == nil {
                results[rule].failure = failure(rule, expected: rules[rule].text, MessageMatcher.Reason.invalidTemplate)
                advance()
            } else if kind == .once, ended, let display = templates[rule]?.display,
                onceHitCount[rule] != 1 || (onceHits[rule]?.first ?? 0) < cursor {
                let count = onceHitCount[rule] ?? 0
                results[rule].failure = failure(
                    rule, expected: display,
                    count == 1 ? MessageMatcher.Reason.single(anywhere: true) : MessageMatcher.Reason.once(found: count, lines: onceHits[rule] ?? []))
                advance()
            } else if kind == .regex, expressions[rule] == nil {
                results[rule].failure = failure(rule, expected: rules[rule].text, MessageMatcher.Reason.invalidExpression)
                advance()
            } else {
                return
            }
        }
    }

    private func failure(_ rule: Int, expected: String, _ reason: String) -> MessageMatcher.Failure {
        MessageMatcher.Failure(rule: rules[rule], expected: expected, reason: reason, position: cursor)
    }

    /// The awaited line is missing: counted, and the search stays where it is. The reason
    /// (missing or out of order) is settled by `explainFailures`.
    private mutating func missAwaited() {
        guard let rule = awaitedRule else { return }
        switch rules[rule].kind {
        case .each:
            guard let (_, n, number) = awaitedTransfer(), let template = templates[rule] else { return }
            if results[rule].failure == nil {
                results[rule].failure = failure(rule, expected: template.display(for: number),
                                                MessageMatcher.Reason.transfer(n, numbered: number, anywhere: false))
                firstMiss[rule] = (n, number)
            } else {
                results[rule].failure?.misses += 1
            }
        case .contains:
            results[rule].failure = failure(rule, expected: texts[rule] ?? rules[rule].text, MessageMatcher.Reason.single(anywhere: false))
        case .regex:
            results[rule].failure = failure(rule, expected: rules[rule].text, MessageMatcher.Reason.regex(anywhere: false))
        case .once:
            // Only when its only line could not be reached (the output could not be read again).
            results[rule].failure = failure(rule, expected: templates[rule]?.display ?? rules[rule].text, MessageMatcher.Reason.once(found: 0, lines: []))
        case .absent:
            break
        }
    }

    private mutating func judgeAbsent() {
        for (rule, text) in texts.enumerated() where rules[rule].kind == .absent {
            let position = absentAt[rule] ?? (absentInStderr.contains(rule) ? stdoutCount : nil)
            if let position, let text {
                results[rule].failure = MessageMatcher.Failure(
                    rule: rules[rule], expected: text, reason: MessageMatcher.Reason.forbidden, position: position)
            } else {
                results[rule].met = 1
            }
        }
        for rule in rules.indices where rules[rule].kind != .each && rules[rule].kind != .absent && results[rule].failure == nil {
            results[rule].met = 1
        }
    }

    static let notReadable = "not judged: the output could not be read again"
    static let overBudget = "not judged: the output is too far out of order to judge exactly (its lines were read again too often)"

    /// The lines could not be read again, or too often: what was still to be judged fails as not judged.
    private mutating func unreadable(_ reason: String) -> MessageMatcher.Outcome {
        while let rule = awaitedRule {
            if results[rule].failure == nil {
                results[rule].failure = failure(rule, expected: rules[rule].text, reason)
            }
            advance()
        }
        judgeAbsent()
        return MessageMatcher.Outcome(entries: results, stdoutLines: stdoutCount)
    }

    /// Words each failure as the reference does: a line that is somewhere in the output is out of
    /// order rather than missing; an `each` entry met for every transfer but the last, whose line
    /// numbered 0 is there, seems to count from 0. One pass over the lines, only when needed.
    private mutating func explainFailures(_ reread: () -> AnySequence<String>?) {
        var questions: [Int: (String) -> Bool] = [:]
        var countsFromZero: [Int: (String) -> Bool] = [:]
        for (rule, result) in results.enumerated() {
            guard let failure = result.failure else { continue }
            switch rules[rule].kind {
            case .each:
                guard let template = templates[rule], let (n, number) = firstMiss[rule],
                    failure.reason == MessageMatcher.Reason.transfer(n, numbered: number, anywhere: false)
                else { continue }
                if matchedSomeLine.contains(rule) {
                    questions[rule] = { template.match($0, transfer: number) != nil }
                }
                if normalizer.options.counterBase == 1 && result.met == repetitions - 1 && n == repetitions
                    && MessageMatcher.Reason.mayCountFromZero(rules[rule]) {
                    countsFromZero[rule] = { template.match($0, transfer: 0) != nil }
                }
            case .contains where failure.reason == MessageMatcher.Reason.single(anywhere: false):
                if let text = texts[rule] { questions[rule] = { TextSearch.contains($0, text) } }
            case .regex where failure.reason == MessageMatcher.Reason.regex(anywhere: false):
                if let expression = expressions[rule] { questions[rule] = { MessageMatcher.matches(expression, $0) } }
            default:
                continue
            }
        }
        guard !questions.isEmpty || !countsFromZero.isEmpty, let lines = reread() else { return }
        var found: Set<Int> = []
        var zero: Set<Int> = []
        for raw in lines {
            let line = normalizer.normalize(raw)
            for (rule, question) in questions where !found.contains(rule) && question(line) { found.insert(rule) }
            for (rule, question) in countsFromZero where !zero.contains(rule) && question(line) { zero.insert(rule) }
        }
        for rule in found {
            switch rules[rule].kind {
            case .each:
                guard let (n, number) = firstMiss[rule] else { continue }
                results[rule].failure?.reason = MessageMatcher.Reason.transfer(n, numbered: number, anywhere: true)
            case .regex: results[rule].failure?.reason = MessageMatcher.Reason.regex(anywhere: true)
            default: results[rule].failure?.reason = MessageMatcher.Reason.single(anywhere: true)
            }
        }
        // Only a line that is missing (not out of order) can be a hint of counting from 0.
        for rule in zero where !found.contains(rule) { results[rule].seemsToCountFromZero = true }
    }
}
