/// Makes lines comparable the way `expect.match` says: curly quotes folded into straight ones,
/// runs of blanks folded into one, and optionally case and quotes ignored.
public struct LineNormalizer: Sendable {
    public let options: MatchOptions

    public init(_ options: MatchOptions) { self.options = options }

    public func normalize(_ line: String) -> String {
        var result = ""
        result.reserveCapacity(line.utf8.count)
        var lastWasBlank = false
        for character in line {
            var folded = character
            switch character {
            case "\u{201C}", "\u{201D}", "\u{201E}", "\u{201F}", "\u{2033}": folded = "\""
            case "\u{2018}", "\u{2019}", "\u{201A}", "\u{201B}", "\u{2032}": folded = "'"
            case "\t", "\u{00A0}": folded = " "
            default: break
            }
            if options.ignoreQuotes && (folded == "\"" || folded == "'") { continue }
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
}
