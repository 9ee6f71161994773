import FerryCore
import Foundation

/// A message template (`I am starting receiving file "{file}" for the {nth} time`) compiled into a
/// regular expression over normalized lines. `{n}` and `{nth}` are captured and compared with the
/// transfer number; `{ms}` captures a decimal number; `{int}` is any whole number; `{any}` any text,
/// as little as it can, so `{any}{n}` leaves every digit of the number to `{n}`.
///
/// A class, so the runner's matchers hold and pass it with one reference count, not one per field.
/// Immutable once made (`NSRegularExpression` may be shared between threads).
public final class MessageTemplate: @unchecked Sendable {
    private let expression: NSRegularExpression
    /// For each capture group, in order: `n`, `nth` or `ms`.
    private let groups: [String]
    /// The template with scenario placeholders filled in, for messages.
    public let display: String
    /// `{nth}` takes any ordinal suffix, or none.
    private let anyOrdinal: Bool
    /// Text every matching line contains byte for byte (the longest literal run, blanks at its
    /// edges trimmed), to skip the regular expression for lines without it; nil when that cannot
    /// be relied on. See `mayMatch`.
    private let requiredText: [UInt8]?
    /// Case is ignored: the required text is relied on only for ASCII lines.
    private let ignoreCase: Bool
    /// The same expression over ASCII lines' bytes; nil when the template's text is not ASCII.
    let scanner: TemplateScanner?

    public init(_ template: String, values: [String: String], normalizer: LineNormalizer) throws {
        let pieces = try Placeholders.split(template, allowed: Placeholders.scenario + Placeholders.template)
        var pattern = ""
        // The expression again, step by step, for `TemplateScanner`.
        var steps: [TemplateScanner.Step] = []
        var groups: [String] = []
        var display = ""
        // `file {any} in`: blanks fold to one, so when `{any}` is empty the line reads `file in`.
        // Such an `{any}` takes its blank with it, and the next literal starts without one.
        var dropLeadingBlank = false
        var literals: [String] = []
        for (index, piece) in pieces.enumerated() {
            switch piece {
            case .literal(let text):
                var normalized = normalizer.normalize(text)
                if dropLeadingBlank && normalized.hasPrefix(" ") { normalized.removeFirst() }
                dropLeadingBlank = false
                pattern += NSRegularExpression.escapedPattern(for: normalized)
                steps.append(.literal(Array(normalized.utf8)))
                literals.append(normalized)
                display += text
            case .placeholder(let name):
                switch name {
                case "n":
                    pattern += "([0-9]+)"
                    steps += [.open(groups.count), .digits, .close(groups.count)]
                    groups.append(name)
                case "nth":
                    let suffix = "(?:" + TemplateScanner.ordinalSuffixes.joined(separator: "|") + ")"
                    if normalizer.options.anyOrdinal {
                        pattern += "([0-9]+)(?: ?\(suffix))?"
                        steps += [.open(groups.count), .digits, .close(groups.count), .optionalOrdinalSuffix]
                    } else {
                        pattern += "([0-9]+\(suffix))"
                        steps += [.open(groups.count), .digits, .ordinalSuffix, .close(groups.count)]
                    }
                    groups.append(name)
                case "ms":
                    pattern += "([0-9]+(?:\\.[0-9]+)?)"
                    steps += [.open(groups.count), .digits, .optionalFraction, .close(groups.count)]
                    groups.append(name)
                case "int":
                    pattern += "[0-9]+"
                    steps.append(.digits)
                case "any":
                    let before = index > 0 ? pieces[index - 1] : nil
                    let after = index + 1 < pieces.count ? pieces[index + 1] : nil
                    if case .literal(let previous)? = before, normalizer.normalize(previous).hasSuffix(" "),
                        case .literal(let next)? = after, normalizer.normalize(next).hasPrefix(" ") {
                        pattern += "(?:.*? )?"
                        steps.append(.optionalAnyThenBlank)
                        dropLeadingBlank = true
                    } else {
                        pattern += ".*?"
                        steps.append(.lazyAny)
                    }
                default:
                    let value = normalizer.normalize(values[name] ?? "")
                    pattern += NSRegularExpression.escapedPattern(for: value)
                    steps.append(.literal(Array(value.utf8)))
                    literals.append(value)
                }
                display += ["n", "nth", "ms", "int", "any"].contains(name) ? "{\(name)}" : values[name] ?? ""
            }
        }
        // Whole words at the edges: "request" does not match "requests", nor "time" "timeout".
        if case .literal(let first)? = pieces.first, normalizer.normalize(first).first.map(Self.isWordCharacter) == true {
            pattern = "(?<![\\p{L}\\p{N}])" + pattern
            steps.insert(.notAfterWordCharacter, at: 0)
        }
        if case .literal(let last)? = pieces.last, normalizer.normalize(last).last.map(Self.isWordCharacter) == true {
            pattern += "(?![\\p{L}\\p{N}])"
            steps.append(.notBeforeWordCharacter)
        }
        expression = try NSRegularExpression(pattern: pattern, options: normalizer.options.ignoreCase ? [.caseInsensitive] : [])
        self.groups = groups
        self.display = display
        anyOrdinal = normalizer.options.anyOrdinal
        ignoreCase = normalizer.options.ignoreCase
        let asciiText = literals.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
        scanner = asciiText ? TemplateScanner(steps: steps, groups: groups.count, ignoreCase: ignoreCase) : nil
        let longest = literals.map { $0.trimmingCharacters(in: .whitespaces) }.max { $0.utf8.count < $1.utf8.count } ?? ""
        // Ignoring case, a non-ASCII letter of the template may match an ASCII one of the line
        // (the long s matches s): then no text is required.
        requiredText = longest.isEmpty || (ignoreCase && !longest.utf8.allSatisfy { $0 < 0x80 }) ? nil : Array(longest.utf8)
    }

    /// False when `line` cannot match: it lacks the required text. The regular expression matches
    /// code unit for code unit (no canonical equivalence), so without `ignore_case` a match
    /// contains the literal's bytes; ignoring case, both sides are lowercased by the normalizer,
    /// and for an ASCII line and an ASCII literal a case-blind match is a byte match.
    func mayMatch(_ line: String) -> Bool {
        guard let requiredText else { return true }
        var line = line
        return line.withUTF8 { bytes in
            if ignoreCase && bytes.contains(where: { $0 >= 0x80 }) { return true }
            return requiredText.withUnsafeBufferPointer { TextSearch.contains(bytes, $0) }
        }
    }

    private static func isWordCharacter(_ character: Character) -> Bool { character.isLetter || character.isNumber }

    /// What a matching line held.
    public struct Match: Equatable {
        /// The transfer number from `{n}` or `{nth}`, if the template has one.
        public var n: Int?
        /// The `{ms}` figure, if the template has one.
        public var ms: Double?
    }

    /// Matches a normalized line. With `transfer`, `{n}`/`{nth}` must be that number (and the
    /// ordinal suffix right for it). An ASCII line is matched by `TemplateScanner`, any other by
    /// the regular expression; both find the same first match.
    public func match(_ line: String, transfer: Int? = nil) -> Match? {
        guard mayMatch(line) else { return nil }
        guard let scanner else { return expressionMatch(line, transfer: transfer) }
        var line = line
        let scanned: Match?? = line.withUTF8 { bytes in
            switch scanner.firstMatch(bytes) {
            case .match(let ranges):
                return .some(found(transfer: transfer) { String(decoding: UnsafeBufferPointer(rebasing: bytes[ranges[$0]]), as: UTF8.self) })
            case .noMatch: return .some(nil)
            case .undecided: return nil
            }
        }
        return scanned ?? expressionMatch(line, transfer: transfer)
    }

    /// `match` by the regular expression alone (the reference `TemplateScanner` is compared with).
    func expressionMatch(_ line: String, transfer: Int? = nil) -> Match? {
        let range = NSRange(line.startIndex..., in: line)
        guard let result = expression.firstMatch(in: line, range: range) else { return nil }
        return found(transfer: transfer) { group in Range(result.range(at: group + 1), in: line).map { String(line[$0]) } }
    }

    /// What the first match holds, from each capture group's text (nil: the group took no part).
    private func found(transfer: Int?, _ captured: (Int) -> String?) -> Match? {
        var found = Match()
        for (index, kind) in groups.enumerated() {
            guard let text = captured(index) else { return nil }
            switch kind {
            case "n":
                guard let value = Int(text) else { return nil }
                found.n = value
            case "nth":
                // `[0-9]+` then the suffix: the digits are ASCII, one character each.
                guard let value = Int(text.prefix(text.utf8.prefix { $0 >= 0x30 && $0 <= 0x39 }.count)) else { return nil }
                guard anyOrdinal || Formatting.ordinal(value) == text.lowercased() else { return nil }
                found.n = value
            default:
                found.ms = Double(text)
            }
        }
        if let transfer, let n = found.n, n != transfer { return nil }
        return found
    }

    /// The template as it reads for transfer `n`: `{n}` and `{nth}` filled in.
    public func display(for n: Int) -> String {
        display.replacingOccurrences(of: "{nth}", with: Formatting.ordinal(n)).replacingOccurrences(of: "{n}", with: String(n))
    }
}
