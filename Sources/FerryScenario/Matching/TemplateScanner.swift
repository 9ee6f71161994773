/// The regular expression `MessageTemplate` builds, run over an ASCII line's bytes without
/// Foundation: the same leftmost start, the same order of trying (greedy digits, lazy `{any}`),
/// so the same first match and the same captures. For a line of printable ASCII this is most
/// lines of most programs, and it takes a fraction of the time `NSRegularExpression` takes (the
/// runner judges every line of a million transfers while they run).
///
/// It decides only what it can decide exactly: a line with a byte of 0x80 or more, or a template
/// with non-ASCII text, is left to the regular expression (`MessageTemplate` does not build a
/// scanner), and so is a search that takes more than `stepLimit` steps. The fuzz target and
/// `TemplateScannerTests` compare the two on random templates and lines.
struct TemplateScanner: Sendable {
    /// One element of the expression, in the order `MessageTemplate` writes them.
    enum Step: Sendable, Equatable {
        /// Escaped literal text.
        case literal([UInt8])
        /// `[0-9]+`, greedy.
        case digits
        /// `(?:st|nd|rd|th)`.
        case ordinalSuffix
        /// `(?: ?(?:st|nd|rd|th))?`, greedy.
        case optionalOrdinalSuffix
        /// `(?:\.[0-9]+)?`, greedy.
        case optionalFraction
        /// `.*?`: as few characters as it can, none of them a line terminator.
        case lazyAny
        /// `(?:.*? )?`: greedy, with the lazy `.*?` inside it.
        case optionalAnyThenBlank
        /// `(?<![\p{L}\p{N}])`.
        case notAfterWordCharacter
        /// `(?![\p{L}\p{N}])`.
        case notBeforeWordCharacter
        /// Capture group g opens: `(`.
        case open(Int)
        /// Capture group g closes: `)`.
        case close(Int)
    }

    /// The suffixes `{nth}` takes, in the order the expression tries them (one definition for
    /// the expression and the scanner).
    static let ordinalSuffixes = ["st", "nd", "rd", "th"]

    let steps: [Step]
    /// Capture groups, numbered from 0 in the order they open.
    let groups: Int
    /// The expression's `caseInsensitive` option: ASCII letters compared without case.
    let ignoreCase: Bool

    /// The most steps one line's search may take before it is left to the regular expression,
    /// which then takes as long as it takes (a 16 MiB line against a template of two `{any}`).
    static let stepLimit = 50_000

    /// What the scanner found in a line.
    enum Outcome: Equatable {
        /// The first match: each group's byte range.
        case match([Range<Int>])
        case noMatch
        /// Not decided here: a non-ASCII line, or a search past `stepLimit`.
        case undecided
    }

    /// The first match in `bytes`, as `NSRegularExpression.firstMatch` finds it.
    func firstMatch(_ bytes: UnsafeBufferPointer<UInt8>) -> Outcome {
        if bytes.contains(where: { $0 >= 0x80 }) { return .undecided }
        // The captures' bounds on the stack: no allocation for a line that does not match.
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * groups) { bounds in
            bounds.initialize(repeating: 0)
            var search = Search(scanner: self, bytes: bytes, bounds: bounds)
            for start in 0...bytes.count {
                if search.match(0, start) { return .match((0..<groups).map { bounds[2 * $0]..<bounds[2 * $0 + 1] }) }
                if search.exhausted { return .undecided }
            }
            return .noMatch
        }
    }

    /// One line's backtracking search.
    private struct Search {
        let steps: [Step]
        let bytes: UnsafeBufferPointer<UInt8>
        let ignoreCase: Bool
        /// Group g starts at `bounds[2g]` and ends at `bounds[2g + 1]`.
        let bounds: UnsafeMutableBufferPointer<Int>
        var left = TemplateScanner.stepLimit
        var exhausted = false

        init(scanner: TemplateScanner, bytes: UnsafeBufferPointer<UInt8>, bounds: UnsafeMutableBufferPointer<Int>) {
            steps = scanner.steps
            self.bytes = bytes
            ignoreCase = scanner.ignoreCase
            self.bounds = bounds
        }

        private static let suffixes: [[UInt8]] = TemplateScanner.ordinalSuffixes.map { Array($0.utf8) }

        /// Whether the steps from `step` on match at `at`; captures are set along the way.
        mutating func match(_ step: Int, _ at: Int) -> Bool {
            left -= 1
            if left < 0 { exhausted = true }
            if exhausted { return false }
            guard step < steps.count else { return true }
            let next = step + 1
            switch steps[step] {
            case .literal(let text):
                return has(text, at) && match(next, at + text.count)
            case .digits:
                return digits(at, then: next)
            case .ordinalSuffix:
                return suffix(at, then: next)
            case .optionalOrdinalSuffix:
                return (at < bytes.count && bytes[at] == 0x20 && suffix(at + 1, then: next)) || suffix(at, then: next) || match(next, at)
            case .optionalFraction:
                return (at < bytes.count && bytes[at] == 0x2E && digits(at + 1, then: next)) || match(next, at)
            case .lazyAny:
                var end = at
                while true {
                    if match(next, end) { return true }
                    guard end < bytes.count && !Self.isTerminator(bytes[end]) else { return false }
                    end += 1
                }
            case .optionalAnyThenBlank:
                var end = at
                while end < bytes.count && !Self.isTerminator(bytes[end]) {
                    if bytes[end] == 0x20 && match(next, end + 1) { return true }
                    end += 1
                }
                return match(next, at)
            case .notAfterWordCharacter:
                return !(at > 0 && Self.isWordCharacter(bytes[at - 1])) && match(next, at)
            case .notBeforeWordCharacter:
                return !(at < bytes.count && Self.isWordCharacter(bytes[at])) && match(next, at)
            case .open(let group):
                return mark(2 * group, at, then: next)
            case .close(let group):
                return mark(2 * group + 1, at, then: next)
            }
        }

        /// `[0-9]+` at `at`, greedy: the longest run of digits first, then one fewer, and so on.
        private mutating func digits(_ at: Int, then next: Int) -> Bool {
            var end = at
            while end < bytes.count && Self.isDigit(bytes[end]) { end += 1 }
            while end > at {
                if match(next, end) { return true }
                end -= 1
            }
            return false
        }

        /// `(?:st|nd|rd|th)` at `at`, the suffixes tried in the expression's order.
        private mutating func suffix(_ at: Int, then next: Int) -> Bool {
            Self.suffixes.contains { has($0, at) && match(next, at + 2) }
        }

        /// Records a group's bound at `at` and goes on; the bound is put back if that fails.
        private mutating func mark(_ bound: Int, _ at: Int, then next: Int) -> Bool {
            let saved = bounds[bound]
            bounds[bound] = at
            if match(next, at) { return true }
            bounds[bound] = saved
            return false
        }

        /// Whether `text` is at `at`, letters compared without case when the expression ignores it.
        private func has(_ text: [UInt8], _ at: Int) -> Bool {
            guard at + text.count <= bytes.count else { return false }
            for (offset, expected) in text.enumerated() {
                let byte = bytes[at + offset]
                if byte == expected { continue }
                guard ignoreCase, Self.lowercased(byte) == Self.lowercased(expected) else { return false }
            }
            return true
        }

        private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

        private static func lowercased(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

        /// `\p{L}` or `\p{N}`, for an ASCII byte.
        private static func isWordCharacter(_ byte: UInt8) -> Bool {
            isDigit(byte) || (lowercased(byte) >= 0x61 && lowercased(byte) <= 0x7A)
        }

        /// What `.` does not match: ICU's line terminators in ASCII (LF, VT, FF, CR).
        private static func isTerminator(_ byte: UInt8) -> Bool { byte >= 0x0A && byte <= 0x0D }
    }
}
