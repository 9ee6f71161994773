/// Makes lines comparable the way `expect.match` says: curly quotes folded into straight ones,
/// runs of blanks folded into one, and optionally case, quotes and punctuation ignored.
///
/// Templates' literal text and placeholder values go through the same normalizer as the lines,
/// so whatever it folds, it folds on both sides.
public struct LineNormalizer: Sendable {
    public let options: MatchOptions

    public init(_ options: MatchOptions) { self.options = options }

    public func normalize(_ line: String) -> String {
        if let unchanged = unchangedASCII(line) { return unchanged }
        var result = ""
        result.reserveCapacity(line.utf8.count)
        var lastWasBlank = false
        var previous: Character?
        var characters = line.makeIterator()
        var next = characters.next()
        while let character = next {
            next = characters.next()
            defer { previous = character }
            var folded = character
            switch character {
            case "\u{201C}", "\u{201D}", "\u{201E}", "\u{201F}", "\u{2033}": folded = "\""
            case "\u{2018}", "\u{2019}", "\u{201A}", "\u{201B}", "\u{2032}": folded = "'"
            case "\t", "\u{00A0}": folded = " "
            default: break
            }
            if options.ignoreQuotes && (folded == "\"" || folded == "'") { continue }
            if options.ignorePunctuation && folded.isPunctuation && !Self.isDecimalPoint(folded, previous, next) {
                folded = " "
            }
            if folded == " " {
                if lastWasBlank { continue }
                lastWasBlank = true
            } else {
                lastWasBlank = false
            }
            result.append(folded)
        }
        return options.ignoreCase ? result.lowercased() : result
    }

    /// The line itself (lowercased with `ignore_case`) when normalizing cannot change it otherwise:
    /// ASCII without tabs or runs of blanks, and neither quotes nor punctuation ignored. Most
    /// lines are, and this is what makes normalizing a million of them cheap.
    private func unchangedASCII(_ line: String) -> String? {
        guard !options.ignoreQuotes && !options.ignorePunctuation else { return nil }
        var previousWasBlank = false
        for byte in line.utf8 {
            if byte >= 0x80 || byte == 0x09 { return nil }
            let blank = byte == 0x20
            if blank && previousWasBlank { return nil }
            previousWasBlank = blank
        }
        return options.ignoreCase ? line.lowercased() : line
    }

    /// A `.` between two digits, as in `0.412`: part of a number, not punctuation.
    private static func isDecimalPoint(_ character: Character, _ previous: Character?, _ next: Character?) -> Bool {
        character == "." && previous?.isASCIIDigit == true && next?.isASCIIDigit == true
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
