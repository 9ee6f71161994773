import FerryCore
import Foundation

/// A message template (`I am starting receiving file "{file}" for the {nth} time`) compiled into a
/// regular expression over normalized lines. `{n}` and `{nth}` are captured and compared with the
/// transfer number; `{ms}` captures a decimal number; `{int}` is any whole number; `{any}` any text,
/// as little as it can, so `{any}{n}` leaves every digit of the number to `{n}`.
public struct MessageTemplate: @unchecked Sendable {
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

    public init(_ template: String, values: [String: String], normalizer: LineNormalizer) throws {
        let pieces = try Placeholders.split(template, allowed: Placeholders.scenario + Placeholders.template)
        var pattern = ""
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
                literals.append(normalized)
                display += text
            case .placeholder(let name):
                switch name {
                case "n": pattern += "([0-9]+)"; groups.append(name)
                case "nth":
                    pattern += normalizer.options.anyOrdinal ? "([0-9]+)(?: ?(?:st|nd|rd|th))?" : "([0-9]+(?:st|nd|rd|th))"
                    groups.append(name)
                case "ms": pattern += "([0-9]+(?:\\.[0-9]+)?)"; groups.append(name)
                case "int": pattern += "[0-9]+"
                case "any":
                    let before = index > 0 ? pieces[index - 1] : nil
                    let after = index + 1 < pieces.count ? pieces[index + 1] : nil
                    if case .literal(let previous)? = before, normalizer.normalize(previous).hasSuffix(" "),
                        case .literal(let next)? = after, normalizer.normalize(next).hasPrefix(" ") {
                        pattern += "(?:.*? )?"
                        dropLeadingBlank = true
                    } else {
                        pattern += ".*?"
                    }
                default:
                    let value = normalizer.normalize(values[name] ?? "")
                    pattern += NSRegularExpression.escapedPattern(for: value)
                    literals.append(value)
                }
                display += ["n", "nth", "ms", "int", "any"].contains(name) ? "{\(name)}" : values[name] ?? ""
            }
        }
        // Whole words at the edges: "request" does not match "requests", nor "time" "timeout".
        if case .literal(let first)? = pieces.first, normalizer.normalize(first).first.map(Self.isWordCharacter) == true {
            pattern = "(?<![\\p{L}\\p{N}])" + pattern
        }
        if case .literal(let last)? = pieces.last, normalizer.normalize(last).last.map(Self.isWordCharacter) == true {
            pattern += "(?![\\p{L}\\p{N}])"
        }
        expression = try NSRegularExpression(pattern: pattern, options: normalizer.options.ignoreCase ? [.caseInsensitive] : [])
        self.groups = groups
        self.display = display
        anyOrdinal = normalizer.options.anyOrdinal
        ignoreCase = normalizer.options.ignoreCase
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
            return Self.contains(bytes, requiredText)
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

    /// Whether `needle` (not empty) occurs in `bytes`.
    static func contains(_ bytes: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard needle.count <= bytes.count, let base = bytes.baseAddress else { return false }
        let first = needle[0]
        return needle.withUnsafeBufferPointer { needle in
            var start = 0
            let last = bytes.count - needle.count
            while start <= last {
                guard let found = memchr(base + start, Int32(first), last - start + 1) else { return false }
                let offset = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if memcmp(base + offset, needle.baseAddress!, needle.count) == 0 { return true }
                start = offset + 1
            }
            return false
        }
    }

    /// Matches a normalized line. With `transfer`, `{n}`/`{nth}` must be that number (and the
    /// ordinal suffix right for it).
    public func match(_ line: String, transfer: Int? = nil) -> Match? {
        mayMatch(line) ? expressionMatch(line, transfer: transfer) : nil
    }

    /// `match` by the regular expression alone (the fuzz target checks `mayMatch` against it).
    func expressionMatch(_ line: String, transfer: Int? = nil) -> Match? {
        let range = NSRange(line.startIndex..., in: line)
        guard let result = expression.firstMatch(in: line, range: range) else { return nil }
        var found = Match()
        for (index, kind) in groups.enumerated() {
            guard let captured = Range(result.range(at: index + 1), in: line) else { return nil }
            let text = String(line[captured])
            switch kind {
            case "n":
                guard let value = Int(text) else { return nil }
                found.n = value
            case "nth":
                guard let value = Int(text.prefix { $0.isNumber }) else { return nil }
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
