import FerryCore
import FerryScenario
@testable import FerryRunner
import Foundation
import Synchronization
import Testing

@Suite struct TerminalTests {
    @Test func colourOnlyOnATerminalAndNotWhenTurnedOff() {
        #expect(TerminalStyle.decide(isTerminal: true, environment: [:], noColor: false).colored)
        #expect(!TerminalStyle.decide(isTerminal: false, environment: [:], noColor: false).colored)
        #expect(!TerminalStyle.decide(isTerminal: true, environment: ["NO_COLOR": "1"], noColor: false).colored)
        #expect(!TerminalStyle.decide(isTerminal: true, environment: [:], noColor: true).colored)
        // An empty NO_COLOR does not count (no-color.org).
        #expect(TerminalStyle.decide(isTerminal: true, environment: ["NO_COLOR": ""], noColor: false).colored)
    }

    @Test func onlyTheVerdictWordIsColoured() {
        let style = TerminalStyle(colored: true)
        #expect(style.line("PASS a  tcp") == "\u{1B}[32mPASS\u{1B}[0m a  tcp")
        #expect(style.line("     FAIL copies: 3 missing") == "     \u{1B}[1;31mFAIL\u{1B}[0m copies: 3 missing")
        #expect(style.line("1 passed, 0 failed") == "1 passed, 0 failed")
        #expect(TerminalStyle.plain.line("PASS a") == "PASS a")
    }

    /// What the board wrote to its terminal.
    final class Screen: Sendable {
        private let text = Mutex("")
        func write(_ more: String) { text.withLock { $0 += more } }
        func take() -> String { text.withLock { text in defer { text = "" }; return text } }
    }

    @Test func aRunningCaseShowsTransfersDoneAndTheRunningAverage() {
        let screen = Screen()
        let board = ProgressBoard(style: .plain, write: screen.write)
        let observer = SideObserver(rules: [], values: [:], repetitions: 5, options: MatchOptions(), time: "time {ms}", average: "average {ms}")
        let output = CapturedOutput(retention: .recent(lines: 2), observer: observer)
        let key = board.begin("tcp-100", repetitions: 5) { observer.progress }
        output.append(["I am ready", "time 0.2", "time 0.3", "done with 2"].map { CapturedLine(stream: .stdout, time: 0, text: $0) })
        output.append([CapturedLine(stream: .stderr, time: 0, text: "time 9")])
        board.around {}
        let drawn = screen.take()
        #expect(drawn.hasPrefix("… tcp-100  2/5 transfers  "))
        #expect(drawn.hasSuffix("  average 0.250 ms\n"))
        // A line printed through the board lifts the progress line, then draws it again below.
        board.sink(wrapping: RecordingLines()).out("PASS other")
        #expect(screen.take().hasPrefix("\u{1B}[1F\u{1B}[J… tcp-100  2/5"))
        // A finished case's line is lifted and not drawn again.
        board.end(key)
        #expect(screen.take() == "\u{1B}[1F\u{1B}[J")
    }
}

/// A sink that keeps nothing: the board writes the progress lines itself.
private final class RecordingLines: LineSink {
    func out(_ line: String) {}
    func diagnostic(_ line: String) {}
    func flush() {}
    func flush(ifOlderThan nanoseconds: UInt64) {}
}
