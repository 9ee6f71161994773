import FerryCore
@testable import FerryRunner
import FerryScenario
import FerryTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

/// A side's output on its way: the log written as lines arrive and read back from any stdout
/// line, the recent lines kept, nothing taken after the capture is sealed.
@Suite struct OutputCaptureTests {
    private func line(_ text: String, _ stream: CapturedLine.Stream = .stdout, at time: Double = 0.25) -> CapturedLine {
        CapturedLine(stream: stream, time: time, text: text)
    }

    @Test func theLogHoldsEveryLineAndGivesStdoutBackFromAnyLine() throws {
        let folder = try TemporaryDirectory("ferry-log")
        defer { folder.remove() }
        let log = try OutputLog(path: folder.file("server.log"), command: ["server", "--port", "5001"])
        let output = CapturedOutput(retention: .recent(lines: 3), log: log)
        // 3,000 stdout lines with stderr between them, across several index blocks.
        var stdout: [String] = []
        for index in 0..<3000 {
            let text = index % 7 == 0 ? "] out | looks like a mark \(index)" : "line \(index) ü"
            stdout.append(text)
            output.append([line(text), line("error \(index)", .stderr)])
        }
        output.seal()
        let text = try String(contentsOfFile: folder.file("server.log"), encoding: .utf8)
        #expect(text.hasPrefix("# server --port 5001\n[0.250] out | ] out | looks like a mark 0\n[0.250] err | error 0\n[0.250] out | line 1 ü\n"))
        for first in [0, 1, 1023, 1024, 1025, 2999, 3000] {
            let back = try #require(log.stdoutLines(from: first))
            let expected = Array(stdout.dropFirst(first))
            let got = Array(back)
            #expect(got == expected, "from \(first): \(got.count) lines, \(expected.count) expected, first \(got.first ?? "none")")
        }
        #expect(output.snapshot.map(\.text) == ["error 2998", "line 2999 ü", "error 2999"])
    }

    @Test func aLogPastItsCapIsNotReadBack() throws {
        let folder = try TemporaryDirectory("ferry-log")
        defer { folder.remove() }
        let log = try OutputLog(path: folder.file("client.log"), command: ["client"], cap: 100)
        let output = CapturedOutput(retention: .recent(lines: 10), log: log)
        output.append((0..<10).map { line("a line of some length \($0)") })
        output.seal()
        #expect(output.dropped > 0)
        #expect(log.stdoutLines(from: 0) == nil)
    }

    @Test func nothingIsTakenAfterTheCaptureIsSealed() throws {
        let observer = SideObserver(rules: [MessageRule(.each, "copy {n} done")], values: [:], repetitions: 2, options: MatchOptions(),
                                    time: "time {ms}", average: "average {ms}")
        let output = CapturedOutput(retention: .recent(lines: 10), observer: observer)
        output.append([line("copy 1 done"), line("time 0.5")])
        output.seal()
        // A descendant still holding the pipe prints after the side was judged.
        output.append([line("copy 2 done"), line("time 0.7")])
        #expect(output.snapshot.count == 2)
        let judged = observer.finish(reread: { _ in nil }, recent: output.snapshot)
        #expect(judged.times.count == 1)
        #expect(judged.messages.entries[0].met == 1)
    }

    @Test func theReadyLineIsSeenThoughNoLongerKept() {
        let output = CapturedOutput(retention: .recent(lines: 2), watch: { $0.text == "I am ready" })
        #expect(!output.waitForWatched(until: Date().addingTimeInterval(0.05)))
        output.append([line("I am ready")] + (0..<10).map { line("noise \($0)") })
        #expect(!output.snapshot.contains { $0.text == "I am ready" })
        #expect(output.waitForWatched(until: Date().addingTimeInterval(1)))
    }

    @Test func aKeptLineIsCutForReportsOnly() {
        let observer = SideObserver(rules: [MessageRule(.contains, "end")], values: [:], repetitions: 1, options: MatchOptions(),
                                    time: "time {ms}", average: "average {ms}")
        let output = CapturedOutput(retention: .recent(lines: 2), observer: observer)
        output.append([line(String(repeating: "x", count: 10_000) + " end")])
        #expect(output.snapshot[0].text.count == CapturedOutput.keptLineLength + 1)
        #expect(observer.finish(reread: { _ in nil }, recent: []).messages.failure == nil)
    }

    @Test func theObserverKeepsTheLastStderrLinesAndTheServersOwnCount() {
        let observer = SideObserver(rules: [], values: [:], repetitions: 1, options: MatchOptions(), time: "time {ms}", average: "average {ms}")
        let lines = (1...12).map { line("trace \($0)", .stderr) } + [line("   ", .stderr)]
            + [line("Incorrect transfers: 3 of 9 (error rate 33.33%)"), line("Incorrect transfers: 4 of 9"), line("average 0.25")]
        let judged = observer.judged(lines)
        #expect(judged.stderrTail.map(\.text) == (6...12).map { "trace \($0)" } + ["   "])
        #expect(judged.lastError?.text == "trace 12")
        #expect(judged.reportedIncorrect == 3)
        #expect(judged.average == 0.25 && judged.times.count == 0)
    }

    /// Records the scheduling policy of the thread that hands it lines.
    private final class PolicyObserver: LineObserver {
        let policies = Mutex<[Int32]>([])
        func take(_ lines: [CapturedLine]) {
            let policy = sched_getscheduler(0)
            policies.withLock { $0.append(policy) }
        }
    }

    /// A side's pipes are read and judged on idle CPU time only (`SCHED_IDLE`, 5), so the runner
    /// never holds a CPU the pair it times wants; other children's are read as usual.
    @Test(arguments: [true, false])
    func aSidesReadersRunOnIdleTimeOnly(background: Bool) throws {
        let observer = PolicyObserver()
        let output = CapturedOutput(retention: .recent(lines: 10), observer: observer, readsInBackground: background)
        let child = try ChildProcess(arguments: ["sh", "-c", "echo out; echo err >&2"], output: output, tracked: false)
        #expect(child.wait(until: Date().addingTimeInterval(10)) == .exited(0))
        let policies = observer.policies.withLock { $0 }
        #expect(!policies.isEmpty)
        #expect(policies.allSatisfy { $0 == (background ? 5 : SCHED_OTHER) }, "policies \(policies)")
    }

    /// The capture of a judged side asks for it.
    @Test func aJudgedSidesCaptureReadsInBackground() throws {
        let folder = try TemporaryDirectory("ferry-log")
        defer { folder.remove() }
        let observer = SideObserver(rules: [], values: [:], repetitions: 1, options: MatchOptions(), time: "time {ms}", average: "average {ms}")
        let capture = SideCapture(observer, logPath: folder.file("server.log"), command: ["server"])
        #expect(capture.output.readsInBackground)
        _ = capture.finish()
    }
}
