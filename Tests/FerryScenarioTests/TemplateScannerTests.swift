import FerryCore
import FerryTestSupport
import Foundation
import Testing

@testable import FerryScenario

/// `TemplateScanner` against the regular expression it stands in for: random templates, lines
/// made from them and then damaged, every way of matching; the same match (the transfer number,
/// the `{ms}` figure) or none, every time.
@Suite struct TemplateScannerTests {
    static let values = ["file": "sample.txt", "server_ip": "10.99.0.2"]
    static let optionSets = [MatchOptions(), MatchOptions.loose, MatchOptions(anyOrdinal: true), MatchOptions(ignoreCase: true)]

    static let literals = [
        "I am ", "file ", "time", " for the ", "ms", ": ", "Time", "x", " ", "  ", "st", "1", ".", "a-b", "(", "*+?", "TIME",
        "done", " of ", "\"", "é", "\t",
    ]
    static let placeholders = ["{n}", "{nth}", "{ms}", "{int}", "{any}", "{file}"]
    /// What damage inserts: letters, digits, blanks, ICU's ASCII line terminators, NUL, and now and
    /// then a character that is not ASCII.
    static let noise = ["a", "Z", "7", "0", " ", " ", ".", "\r", "\u{0B}", "\u{0C}", "\u{0}", "\t", "s", "t", "h", "é", "\u{85}"]

    static func template(_ random: inout SeededRandom) -> String {
        (0..<Int.random(in: 1...6, using: &random)).map { _ in
            Bool.random(using: &random) ? literals.randomElement(using: &random)! : placeholders.randomElement(using: &random)!
        }.joined()
    }

    /// The template written out as a program might print it, numbered `n`, sometimes wrongly.
    /// `Int.max` is written with a digit more: a number too large for `Int`.
    static func line(_ template: String, n: Int, _ random: inout SeededRandom) -> String {
        let number = n == Int.max ? "\(n)9" : String(n)
        var line = ""
        for piece in (try? Placeholders.split(template, allowed: Placeholders.scenario + Placeholders.template)) ?? [] {
            switch piece {
            case .literal(let text): line += Int.random(in: 0..<8, using: &random) == 0 ? text.uppercased() : text
            case .placeholder("n"), .placeholder("int"): line += number
            case .placeholder("nth"):
                let suffixes = [Formatting.ordinal(n), number, "\(number) th", "\(number)ST", "\(number)x", "0\(number)th", "\(number)rd"]
                line += suffixes[Int.random(in: 0..<suffixes.count, using: &random) % (Bool.random(using: &random) ? 1 : suffixes.count)]
            case .placeholder("ms"): line += ["12", "3.5", "7.", ".5", "0.125"].randomElement(using: &random)!
            case .placeholder("any"): line += ["", "x", "a b", " ", "12 ms"].randomElement(using: &random)!
            case .placeholder(let name): line += values[name] ?? ""
            }
        }
        var characters = Array(line)
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            let at = Int.random(in: 0...characters.count, using: &random)
            if Bool.random(using: &random) || characters.isEmpty || at == characters.count {
                characters.insert(Character(noise.randomElement(using: &random)!), at: at)
            } else {
                characters.remove(at: at)
            }
        }
        if Int.random(in: 0..<4, using: &random) == 0 { characters = Array(line + " " + line) }
        return String(characters)
    }

    /// What `template`'s scanner makes of `line`.
    static func scanned(_ template: MessageTemplate, _ line: String) -> TemplateScanner.Outcome? {
        var bytes = line
        return template.scanner.map { scanner in bytes.withUTF8 { scanner.firstMatch($0) } }
    }

    @Test func theScannerFindsWhatTheExpressionFinds() {
        var random = SeededRandom(state: 0x5EED_0013)
        var decided = 0
        var matched = 0
        var asciiLines = 0
        for _ in 0..<500 {
            let text = Self.template(&random)
            for options in Self.optionSets {
                let normalizer = LineNormalizer(options)
                guard let template = try? MessageTemplate(text, values: Self.values, normalizer: normalizer) else { continue }
                for _ in 0..<8 {
                    let n = [1, 2, 3, 11, 12, 22, 103, Int.random(in: 0...999, using: &random), Int.max][
                        Int.random(in: 0..<9, using: &random)]
                    let line = normalizer.normalize(Self.line(text, n: n, &random))
                    for transfer in [nil, n, 1] {
                        let expected = template.expressionMatch(line, transfer: transfer)
                        #expect(template.match(line, transfer: transfer) == expected,
                                "template \(text.debugDescription), options \(options), line \(line.debugDescription), transfer \(String(describing: transfer))")
                    }
                    guard line.utf8.allSatisfy({ $0 < 0x80 }), let outcome = Self.scanned(template, line) else { continue }
                    asciiLines += 1
                    if outcome != .undecided { decided += 1 }
                    if case .match = outcome { matched += 1 }
                }
            }
        }
        // The comparison is worth something only if the scanner decided and matched often. It
        // leaves a line to the expression only past its step limit: long runs of digits where two
        // numbers meet, tried at every split.
        #expect(decided >= asciiLines * 99 / 100, "\(decided) of \(asciiLines) lines decided")
        #expect(matched > asciiLines / 10, "\(matched) of \(asciiLines) lines matched")
    }

    @Test func lineTerminatorsStopAnyAsTheExpressionDoes() throws {
        let template = try MessageTemplate("a{any}b {n}", values: [:], normalizer: LineNormalizer(MatchOptions()))
        for line in ["a\rb 1", "a\u{0B}b 2", "a\u{0C}b 3", "a\u{0}b 4", "ax\r ab 5", "a b 6"] {
            #expect(template.match(line) == template.expressionMatch(line), "\(line.debugDescription)")
        }
        #expect(template.match("a\rb 1") == nil)
        #expect(template.match("a\u{0}b 4")?.n == 4)
    }

    @Test func aLineTooLongToSearchIsLeftToTheExpression() throws {
        let template = try MessageTemplate("x{any} {any}y{n}", values: [:], normalizer: LineNormalizer(MatchOptions()))
        let line = "x" + String(repeating: " ", count: 3000) + "z"
        #expect(Self.scanned(template, line) == .undecided)
        #expect(template.match(line) == nil)
        let matching = line + "y7"
        #expect(template.match(matching)?.n == 7)
    }

    @Test func aLineOrTemplateNotInASCIIIsLeftToTheExpression() throws {
        let plain = try MessageTemplate("file {n}", values: [:], normalizer: LineNormalizer(MatchOptions()))
        let line = "café file 3"
        #expect(Self.scanned(plain, line) == .undecided)
        #expect(plain.match(line)?.n == 3)
        let accented = try MessageTemplate("café {n}", values: [:], normalizer: LineNormalizer(MatchOptions()))
        #expect(accented.scanner == nil)
        #expect(accented.match("café 4")?.n == 4)
    }
}
