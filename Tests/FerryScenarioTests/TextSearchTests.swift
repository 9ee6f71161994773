import FerryCore
import FerryScenario
import FerryTestSupport
import Foundation
import Testing

/// `TextSearch` against a search character by character written out, and against Foundation's
/// `contains` where that one answers sensibly (ASCII, no NUL in the text).
@Suite struct TextSearchTests {
    @Test func textIsFoundCharacterByCharacter() {
        var random = SeededRandom(state: 0x7E47)
        let ascii = ["a", "b", "ab", " ", "A", "\u{0}", "\r"]
        let other = ascii + ["é", "e\u{301}", "\u{301}", "ß"]
        func text(_ most: Int, _ alphabet: [String]) -> String {
            (0..<Int.random(in: 0...most, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined()
        }
        /// Character by character, written out.
        func reference(_ line: String, _ needle: String) -> Bool {
            let line = Array(line)
            let needle = Array(needle)
            guard !needle.isEmpty, needle.count <= line.count else { return false }
            return (0...(line.count - needle.count)).contains { Array(line[$0..<($0 + needle.count)]) == needle }
        }
        var found = 0
        for _ in 0..<20_000 {
            let line = text(8, ascii)
            let needle = text(3, ascii)
            let expected = reference(line, needle)
            if expected { found += 1 }
            #expect(TextSearch.contains(line, needle) == expected, "\(line.debugDescription) contains \(needle.debugDescription)")
            // Foundation ignores a NUL in the text ("\rb" contains "b\0"); elsewhere in ASCII it agrees.
            if !needle.contains("\u{0}") { #expect(line.contains(needle) == expected) }
            let wider = text(8, other)
            let wanted = text(3, other)
            #expect(TextSearch.contains(wider, wanted) == reference(wider, wanted), "\(wider.debugDescription) contains \(wanted.debugDescription)")
        }
        #expect(found > 2000)
        #expect(!TextSearch.contains("abc", ""))
        #expect(TextSearch.contains("Incorrect transfers: 0 of 100", Messages.incorrectLabel))
        // Foundation's `contains` finds the first and traps on the next two.
        #expect(!TextSearch.contains("\rb", "b\u{0}"))
        #expect(!TextSearch.contains("éab", "b\u{0}"))
        #expect(!TextSearch.contains("é\u{0}\u{0}ab", "ab\u{0}"))
        #expect(TextSearch.contains("café", "cafe\u{301}"))
        #expect(!TextSearch.contains("cafe\u{301} x", "cafe"))
    }
}
