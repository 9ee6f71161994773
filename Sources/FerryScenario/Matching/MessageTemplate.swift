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

    public init(_ template: String, values: [String: String], normalizer: LineNormalizer) throws {
        let pieces = try Placeholders.split(template, allowed: Placeholders.scenario + Placeholders.template)
        var pattern = ""
        var groups: [String] = []
        var display = ""
        // `file {any} in`: blanks fold to one, so when `{any}` is empty the line reads `file in`.
        // Such an `{any}` takes its blank with it, and the next literal starts without one.
        var dropLeadingBlank = false
        for (index, piece) in pieces.enumerated() {
            switch piece {
            case .literal(let text):
                var normalized = normalizer.normalize(text)
                if dropLeadingBlank && normalized.hasPrefix(" ") { normalized.removeFirst() }
                dropLeadingBlank = false
                pattern += NSRegularExpression.escapedPattern(for: normalized)
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
                    let value = values[name] ?? ""
                    pattern += NSRegularExpression.escapedPattern(for: normalizer.normalize(value))
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
    /// ordinal suffix right for it).
    public func match(_ line: String, transfer: Int? = nil) -> Match? {
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
