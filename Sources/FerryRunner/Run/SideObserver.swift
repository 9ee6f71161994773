import FerryCore
import FerryScenario
import Foundation
import Synchronization

/// What the runner learns from one side's output, taken line by line as it arrives, so that
/// nothing grows with the number of transfers: the message entries (`IncrementalMatcher`), the
/// per-transfer times (`TimeStatistics`), the first printed average, the server's own count of
/// incorrect copies, and the last stderr lines.
public final class SideObserver: LineObserver {
    struct State {
        var matcher: IncrementalMatcher
        var times = TimeStatistics()
        var average: Double?
        var reportedIncorrect: Int?
        var stderrTail: [CapturedLine] = []
        var lastError: CapturedLine?
    }

    private let state: Mutex<State>
    private let normalizer: LineNormalizer
    private let timeTemplate: MessageTemplate?
    private let averageTemplate: MessageTemplate?

    /// The most stderr lines kept, to quote when a side failed (a Python traceback).
    static let keptStderrLines = 8

    /// - Parameters:
    ///   - rules: the side's message entries, judged in order.
    ///   - time, average: the templates of the side's per-transfer time and average lines.
    init(rules: [MessageRule], values: [String: String], repetitions: Int, options: MatchOptions, time: String, average: String) {
        normalizer = LineNormalizer(options)
        timeTemplate = try? MessageTemplate(time, values: values, normalizer: normalizer)
        averageTemplate = try? MessageTemplate(average, values: values, normalizer: normalizer)
        state = Mutex(State(matcher: IncrementalMatcher(rules: rules, values: values, repetitions: repetitions, options: options)))
    }

    public func take(_ lines: [CapturedLine]) {
        state.withLock { state in
            for line in lines {
                if line.stream == .stderr {
                    state.matcher.stderr(line.text)
                    state.stderrTail.append(line)
                    if state.stderrTail.count > Self.keptStderrLines { state.stderrTail.removeFirst() }
                    if !line.text.allSatisfy(\.isWhitespace) { state.lastError = line }
                    continue
                }
                let normalized = normalizer.normalize(line.text)
                state.matcher.stdout(normalized: normalized)
                if let ms = timeTemplate?.match(normalized)?.ms { state.times.add(ms) }
                if state.average == nil, let ms = averageTemplate?.match(normalized)?.ms { state.average = ms }
                if state.reportedIncorrect == nil { state.reportedIncorrect = Self.reportedIncorrect(line.text) }
            }
        }
    }

    private static let incorrectExpression = try! NSRegularExpression(
        pattern: NSRegularExpression.escapedPattern(for: Messages.incorrectLabel) + "([0-9]+) of ([0-9]+)")

    /// K of a server's `Incorrect transfers: K of N` line; nil for any other line.
    static func reportedIncorrect(_ line: String) -> Int? {
        guard TextSearch.contains(line, Messages.incorrectLabel),
            let match = incorrectExpression.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)),
            let range = Range(match.range(at: 1), in: line)
        else { return nil }
        return Int(line[range])
    }

    /// Transfers timed so far, and their times' sum: for the progress line.
    var progress: (done: Int, sumMs: Double) {
        state.withLock { ($0.times.count, $0.times.sumMs) }
    }

    /// The last stderr lines so far, and the last that is not blank.
    var stderr: (tail: [CapturedLine], lastError: CapturedLine?) {
        state.withLock { ($0.stderrTail, $0.lastError) }
    }

    /// Judges the whole output once it has ended.
    /// - Parameters:
    ///   - reread: the stdout lines again from an index on (the log), for what the matcher did not keep.
    ///   - recent: the most recent lines, for reports.
    func finish(reread: @escaping @Sendable (Int) -> AnySequence<String>?, recent: [CapturedLine]) -> SideOutput {
        state.withLock { state in
            SideOutput(
                messages: state.matcher.finish(reread: reread), times: state.times, average: state.average,
                reportedIncorrect: state.reportedIncorrect, stderrTail: state.stderrTail, lastError: state.lastError, recent: recent,
                reread: reread)
        }
    }

    /// `lines` judged as if a side had printed them (tests, and a side that never ran).
    func judged(_ lines: [CapturedLine]) -> SideOutput {
        take(lines)
        let stdout = lines.filter { $0.stream == .stdout }.map(\.text)
        return finish(reread: { AnySequence(stdout.dropFirst($0)) }, recent: lines)
    }
}

/// What one side printed, as judged: its message entries, its times, its last lines.
public struct SideOutput: Sendable {
    /// The message entries' results, in rule order.
    public var messages: MessageMatcher.Outcome
    /// The `{ms}` of every line matching the side's time template.
    public var times: TimeStatistics
    /// The `{ms}` of the first line matching its average template.
    public var average: Double?
    /// K of the server's first `Incorrect transfers: K of N` line.
    public var reportedIncorrect: Int?
    /// The last stderr lines, and the last that is not blank.
    public var stderrTail: [CapturedLine]
    public var lastError: CapturedLine?
    /// The most recent lines of both streams, in arrival order.
    public var recent: [CapturedLine]
    /// The stdout lines again from an index on; nil when they cannot be read.
    let reread: @Sendable (Int) -> AnySequence<String>?

    /// Nothing printed: a side that never ran.
    public static let empty = SideOutput(
        messages: MessageMatcher.Outcome(), times: TimeStatistics(), stderrTail: [], recent: [], reread: { _ in AnySequence([]) })

    /// The stdout lines at `range` (0-based), as far as they exist and can be read.
    func stdoutLines(_ range: Range<Int>) -> [String] {
        guard let lines = reread(range.lowerBound) else { return [] }
        return Array(lines.prefix(range.count))
    }
}

/// One side's output on its way: streamed to its log and its observer, the most recent lines kept.
struct SideCapture {
    let observer: SideObserver
    let output: CapturedOutput

    /// The most recent lines kept in memory, for reports.
    static let recentLines = 200

    /// Starts `side`'s log at `logPath` with `command` as its first line. Without a log (it could
    /// not be made), judging what needs the lines again fails rather than guesses.
    /// - Parameter watch: a line looked for as the lines arrive (the server's ready line).
    init(_ observer: SideObserver, logPath: String, command: [String], watch: (@Sendable (CapturedLine) -> Bool)? = nil) {
        self.observer = observer
        output = CapturedOutput(
            retention: .recent(lines: Self.recentLines), log: try? OutputLog(path: logPath, command: command), observer: observer,
            watch: watch, readsInBackground: true)
    }

    /// Ends the capture and judges what arrived.
    func finish() -> SideOutput {
        output.seal()
        let log = output.log
        return observer.finish(reread: { log?.stdoutLines(from: $0) }, recent: output.snapshot)
    }
}
