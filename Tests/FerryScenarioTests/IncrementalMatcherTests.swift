import FerryCore
import FerryScenario
import FerryTestSupport
import Testing

/// The incremental matcher against the whole-output one (`MessageMatcher`, the reference) on the
/// same output: every entry's result (met, failure, reason, position, misses, counting from 0)
/// must be the same, whether the lines since the last match are kept or read again.
@Suite struct IncrementalMatcherTests {
    let values = ["file": "sample.txt", "server_ip": "10.99.0.2"]

    /// The output judged both ways; the outcome, after checking both agree.
    @discardableResult
    private func judged(
        _ rules: [MessageRule], _ stdout: [String], stderr: [String] = [], repetitions: Int = 3, options: MatchOptions = MatchOptions(),
        keptLines: [Int] = [IncrementalMatcher.defaultKeptLines, 1, 0], sourceLocation: SourceLocation = #_sourceLocation
    ) -> MessageMatcher.Outcome {
        let reference = MessageMatcher(rules: rules, values: values, repetitions: repetitions, options: options)
            .check(stdout: stdout, stderr: stderr)
        for kept in keptLines {
            var incremental = IncrementalMatcher(rules: rules, values: values, repetitions: repetitions, options: options, keptLines: kept)
            // stderr lines arrive between stdout lines; only `absent` entries read them.
            for (index, line) in stdout.enumerated() {
                if index < stderr.count { incremental.stderr(stderr[index]) }
                incremental.stdout(line)
            }
            for line in stderr.dropFirst(stdout.count) { incremental.stderr(line) }
            let outcome = incremental.finish { AnySequence(stdout.dropFirst($0)) }
            #expect(outcome == reference, "kept \(kept) lines:\n\(outcome.entries)\nreference:\n\(reference.entries)\noutput:\n\(stdout)",
                    sourceLocation: sourceLocation)
        }
        return reference
    }

    private func serverOutput(_ count: Int) -> [String] {
        var lines = [Messages.serverReady.text]
        for n in 1...count {
            lines.append(Messages.serverStarting.line(file: "sample.txt", n: n))
            lines.append(Messages.serverFinishing.line(file: "sample.txt", n: n))
            lines.append(Messages.serverTime.line(file: "sample.txt", n: n, ms: "0.250"))
            lines.append(Messages.serverStored("sample.txt", n, path: "received/sample-\(n).txt", verdict: "identical"))
        }
        lines.append(Messages.serverAverage.line(file: "sample.txt", ms: "0.250"))
        lines.append(Messages.done.text)
        return lines
    }

    @Test func ferrysOwnOutputPassesWithoutReadingAgain() {
        var matcher = IncrementalMatcher(rules: SeedMessages.server, values: values, repetitions: 50, options: MatchOptions())
        for line in serverOutput(50) { matcher.stdout(line) }
        var reads = 0
        let outcome = matcher.finish { _ in reads += 1; return nil }
        #expect(outcome.failure == nil && outcome.entries.allSatisfy { $0.met == $0.required })
        #expect(reads == 0)
        judged(SeedMessages.server, serverOutput(50), repetitions: 50)
    }

    @Test func missingLines() {
        var lines = serverOutput(5)
        lines.remove(at: 7)  // transfer 2's time line
        #expect(judged(SeedMessages.server, lines, repetitions: 5).failure?.reason == "missing line for transfer 2")
        // A truncated log: everything after transfer 3.
        let truncated = Array(serverOutput(6).prefix(13))
        #expect(judged(SeedMessages.server, truncated, repetitions: 6).entries[1].met == 3)
        // No time lines at all, and no average: every transfer misses it.
        let timeless = serverOutput(4).filter { !$0.hasPrefix("The time") && !$0.hasPrefix("The average") }
        let outcome = judged(SeedMessages.server, timeless, repetitions: 4)
        #expect(outcome.entries[3].met == 0 && outcome.entries[3].failure?.misses == 4)
        judged(SeedMessages.server, [], repetitions: 4)
    }

    @Test func outOfOrderLines() {
        var lines = serverOutput(4)
        lines.swapAt(5, 9)  // transfer 2's starting line after transfer 3's
        #expect(judged(SeedMessages.server, lines, repetitions: 4).entries[1].failure?.reason.hasSuffix("out of order") == true)
        // The ready line last: found, and then every other line is out of order.
        let late = Array(serverOutput(3).dropFirst()) + [Messages.serverReady.text]
        #expect(judged(SeedMessages.server, late).entries[1].failure?.reason == "line for transfer 1 out of order")
        // Transfers in reverse.
        judged([MessageRule(.each, "copy {n} done"), MessageRule(.contains, "bye")], ["copy 3 done", "copy 2 done", "copy 1 done", "bye"])
    }

    @Test func duplicatedLines() {
        var lines = serverOutput(4)
        lines.insert(lines[5], at: 6)  // transfer 2's starting line twice
        judged(SeedMessages.server, lines, repetitions: 4)
        // The average twice: a `once` line taken in passing had a second, so the search is judged again.
        let twice = serverOutput(3) + [Messages.serverAverage.line(file: "sample.txt", ms: "0.250")]
        let outcome = judged(SeedMessages.server, twice)
        #expect(outcome.entries[4].failure?.reason.hasPrefix("expected exactly one line, found 2") == true)
        // ... with "I am done" still found after the first.
        #expect(outcome.entries[5].passed)
        // A line printed for every transfer where one is expected: the list of lines stops at 20.
        let many = (1...30).map { _ in "ready" }
        #expect(judged([MessageRule(.once, "ready")], many).failure?.reason.hasSuffix(", …)") == true)
    }

    @Test func countingFromZeroIsNoticed() {
        let rules = [MessageRule(.each, "copy {n} sent")]
        let outcome = judged(rules, ["copy 0 sent", "copy 1 sent", "copy 2 sent"])
        #expect(outcome.entries[0].seemsToCountFromZero)
        judged(rules, ["copy 0 sent", "copy 1 sent", "copy 2 sent"], options: MatchOptions(counterBase: 0))
        // Out of order, not missing: no hint, though a line numbered 0 is there.
        let disordered = judged(rules, ["copy 2 sent", "copy 0 sent", "copy 1 sent"], repetitions: 2)
        #expect(disordered.entries[0].failure?.reason == "line for transfer 2 out of order" && !disordered.entries[0].seemsToCountFromZero)
    }

    @Test func anOutputTooFarOutOfOrderIsNotJudgedNeverPassed() {
        // Every transfer's two lines swapped: each miss reads the rest again.
        let rules = [MessageRule(.each, "start {n}"), MessageRule(.each, "end {n}"), MessageRule(.contains, "bye")]
        let lines = (1...200).flatMap { ["end \($0)", "start \($0)"] } + ["bye"]
        var matcher = IncrementalMatcher(rules: rules, values: values, repetitions: 200, options: MatchOptions(), keptLines: 0, refeedFloor: 10)
        for line in lines { matcher.stdout(line) }
        let outcome = matcher.finish { AnySequence(lines.dropFirst($0)) }
        #expect(outcome.failure != nil)
        #expect(outcome.entries.contains { $0.failure?.reason.hasPrefix("not judged: the output is too far out of order") == true })
        // With the default budget the same output is judged exactly.
        judged(rules, lines, repetitions: 200, keptLines: [0])
    }

    @Test func everyKindOfEntry() {
        let rules = [
            MessageRule(.contains, "hello"), MessageRule(.regex, "took [0-9]+ tries"), MessageRule(.absent, "Traceback"),
            MessageRule(.once, "connected to {server_ip}"), MessageRule(.each, "chunk {n} of {int}"), MessageRule(.contains, "bye"),
        ]
        let good = ["hello", "connected to 10.99.0.2", "took 3 tries", "chunk 1 of 3", "chunk 2 of 3", "chunk 3 of 3", "bye"]
        judged(rules, good)
        judged(rules, good, stderr: ["Traceback (most recent call last):"])
        judged(rules, good + ["Traceback"])
        judged(rules, Array(good.reversed()))
        judged(rules, ["bye", "chunk 2 of 3", "hello", "took 1 tries", "connected to 10.99.0.2", "chunk 1 of 3", "chunk 3 of 3"])
        judged([MessageRule(.regex, "(unclosed"), MessageRule(.each, "{bogus} {n}"), MessageRule(.once, "{n"), MessageRule(.contains, "x")],
               ["x", "y"])
    }

    @Test func looseMatching() {
        let lines = serverOutput(3).map { $0.uppercased().replacingOccurrences(of: " ", with: "  ") }
        judged(SeedMessages.server, lines, options: .loose)
        judged(SeedMessages.server, lines)
    }

    @Test func unreadableOutputNeverPasses() {
        var lines = serverOutput(3)
        lines.remove(at: 3)
        var matcher = IncrementalMatcher(rules: SeedMessages.server, values: values, repetitions: 3, options: MatchOptions(), keptLines: 0)
        for line in lines { matcher.stdout(line) }
        let outcome = matcher.finish { _ in nil }
        #expect(outcome.entries[3].failure != nil && outcome.entries[4].failure?.reason == "not judged: the output could not be read again")
    }

    /// Numbered lines (`{n}`, counting from 0 or 1), mutated at random, judged both ways.
    @Test func randomNumberedLinesAgree() {
        var generator = SeededRandom(state: 11)
        let rules = [MessageRule(.once, "hello"), MessageRule(.each, "copy {n} sent"), MessageRule(.each, "copy {n} done"), MessageRule(.contains, "bye")]
        for _ in 0..<400 {
            let base = Int.random(in: 0...1, using: &generator)
            var lines = ["hello"] + (1...3).flatMap { ["copy \($0 - 1 + base) sent", "copy \($0 - 1 + base) done"] } + ["bye"]
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                let index = Int.random(in: 0..<lines.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: lines.remove(at: index)
                case 1: lines.insert(lines[index], at: Int.random(in: 0...lines.count, using: &generator))
                case 2: lines.swapAt(index, Int.random(in: 0..<lines.count, using: &generator))
                default: lines.insert("copy \(Int.random(in: 0...4, using: &generator)) \(Bool.random(using: &generator) ? "sent" : "done")", at: index)
                }
                if lines.isEmpty { break }
            }
            for counterBase in [0, 1] {
                judged(rules, lines, options: MatchOptions(counterBase: counterBase), keptLines: [IncrementalMatcher.defaultKeptLines, 1, 0])
            }
        }
    }

    /// Ferry's output, mutated at random (lines dropped, doubled, swapped, renumbered, noise),
    /// judged both ways.
    @Test func randomMutationsAgree() {
        var generator = SeededRandom(state: 7)
        let rules = SeedMessages.server + [MessageRule(.absent, "error"), MessageRule(.regex, "^Incorrect")]
        for _ in 0..<400 {
            var lines = serverOutput(4) + ["Incorrect transfers: 0 of 4"]
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                guard !lines.isEmpty else { break }
                let index = Int.random(in: 0..<lines.count, using: &generator)
                switch Int.random(in: 0..<5, using: &generator) {
                case 0: lines.remove(at: index)
                case 1: lines.insert(lines[index], at: Int.random(in: 0...lines.count, using: &generator))
                case 2: lines.swapAt(index, Int.random(in: 0..<lines.count, using: &generator))
                case 3: lines[index] = lines[index].replacingOccurrences(of: "2nd", with: "3rd")
                default: lines.insert(["noise", "an error", "I am done", "for the 1st time"].randomElement(using: &generator)!, at: index)
                }
            }
            judged(rules, lines, repetitions: 4, keptLines: [IncrementalMatcher.defaultKeptLines, 2, 0])
        }
    }
}

