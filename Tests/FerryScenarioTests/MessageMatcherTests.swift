import FerryCore
import FerryScenario
import Testing

@Suite struct MessageMatcherTests {
    let values = ["file": "sample.txt", "server_ip": "10.99.0.2"]

    private func matcher(_ rules: [MessageRule], repetitions: Int = 3, options: MatchOptions = MatchOptions()) -> MessageMatcher {
        MessageMatcher(rules: rules, values: values, repetitions: repetitions, options: options)
    }

    /// What Ferry's server prints for `count` transfers.
    private func serverOutput(_ count: Int, times: [String]? = nil) -> [String] {
        var lines = [Messages.serverReady.text]
        for n in 1...count {
            lines.append(Messages.serverStarting.line(file: "sample.txt", n: n))
            lines.append(Messages.serverFinishing.line(file: "sample.txt", n: n))
            lines.append(Messages.serverTime.line(file: "sample.txt", n: n, ms: times?[n - 1] ?? "0.250"))
        }
        lines.append(Messages.serverAverage.line(file: "sample.txt", ms: "0.250"))
        lines.append(Messages.done.text)
        return lines
    }

    @Test func seedTemplatesReadLikeFerrysOwnLines() throws {
        let normalizer = LineNormalizer(MatchOptions())
        for n in [1, 2, 3, 11, 12, 13, 21, 101, 111, 112] {
            let pairs: [(String, String)] = [
                (Messages.serverStarting.template, Messages.serverStarting.line(file: "sample.txt", n: n)),
                (Messages.serverFinishing.template, Messages.serverFinishing.line(file: "sample.txt", n: n)),
                (Messages.serverTime.template, Messages.serverTime.line(file: "sample.txt", n: n, ms: "1.500")),
                (Messages.clientSending.template, Messages.clientSending.line(file: "sample.txt", n: n)),
                (Messages.clientFinishing.template, Messages.clientFinishing.line(file: "sample.txt", n: n)),
                (Messages.clientTime.template, Messages.clientTime.line(file: "sample.txt", n: n, ms: "1.500")),
            ]
            for (template, line) in pairs {
                let compiled = try MessageTemplate(template, values: values, normalizer: normalizer)
                #expect(compiled.match(line, transfer: n) != nil, "\(template) vs \(line)")
                #expect(compiled.match(line, transfer: n + 1) == nil)
            }
        }
        #expect(try MessageTemplate(Messages.clientConnecting.template, values: values, normalizer: normalizer)
            .match(Messages.clientConnecting.line(host: "10.99.0.2")) != nil)
        #expect(SeedMessages.server.map(\.text) == [Messages.serverReady, Messages.serverStarting, Messages.serverFinishing, Messages.serverTime, Messages.serverAverage, Messages.done].map(\.template))
    }

    @Test func seedRulesAcceptFerrysServer() {
        let outcome = matcher(SeedMessages.server).check(stdout: serverOutput(3, times: ["0.100", "0.200", "0.300"]))
        #expect(outcome.failure == nil)
    }

    @Test func wrongOrdinalIsNotAccepted() {
        var lines = serverOutput(3)
        lines[4] = "I am starting receiving file \"sample.txt\" for the 2th time"
        let failure = matcher(SeedMessages.server).check(stdout: lines).failure
        #expect(failure?.reason == "missing line for transfer 2")
        #expect(failure?.expected == "I am starting receiving file \"sample.txt\" for the 2nd time")
        #expect(failure?.position == 4)
    }

    @Test func orderIsChecked() {
        var lines = serverOutput(2)
        lines.swapAt(1, 2)  // finishing 1 before starting 1
        let failure = matcher(SeedMessages.server, repetitions: 2).check(stdout: lines).failure
        #expect(failure?.reason == "line for transfer 1 out of order")
        #expect(failure?.expected == "I am finishing receiving file \"sample.txt\" for the 1st time")
    }

    @Test func onceMeansExactlyOnceAndBeforeTheEachBlock() {
        let doubled = serverOutput(2) + [Messages.serverAverage.line(file: "sample.txt", ms: "1.000")]
        #expect(matcher(SeedMessages.server, repetitions: 2).check(stdout: doubled).failure?.reason
            == "expected exactly one line, found 2 (lines 8, 10)")
        var late = serverOutput(2)
        late.append(late.removeFirst())  // ready line last
        #expect(matcher(SeedMessages.server, repetitions: 2).check(stdout: late).failure?.reason
            == "line for transfer 1 out of order")
    }

    @Test func missingTransfersAreFound() {
        let failure = matcher(SeedMessages.server, repetitions: 4).check(stdout: serverOutput(3)).failure
        #expect(failure?.reason == "missing line for transfer 4")
    }

    @Test func curlyQuotesAndBlanksFold() {
        let lines = ["I am ready  for any client side request", "I am starting receiving file \u{201C}sample.txt\u{201D} for the 1st time"]
        let rules = [MessageRule(.contains, "I am ready for any"), MessageRule(.each, Messages.serverStarting.template)]
        #expect(matcher(rules, repetitions: 1).check(stdout: lines).failure == nil)
    }

    @Test func looseMatchingIgnoresCaseAndQuotes() {
        let lines = ["i am starting receiving file sample.txt for the 1ST time"]
        let rules = [MessageRule(.each, Messages.serverStarting.template)]
        #expect(matcher(rules, repetitions: 1).check(stdout: lines).failure != nil)
        let loose = MatchOptions(ignoreCase: true, ignoreQuotes: true)
        #expect(matcher(rules, repetitions: 1, options: loose).check(stdout: lines).failure == nil)
    }

    @Test func absentLooksAtStderrToo() {
        let rules = [MessageRule(.absent, "Traceback")]
        #expect(matcher(rules).check(stdout: ["fine"]).failure == nil)
        #expect(matcher(rules).check(stdout: ["fine"], stderr: ["Traceback (most recent call last):"]).failure?.reason
            == "forbidden text present")
    }

    @Test func regexAndPlaceholdersInTemplates() {
        let rules = [
            MessageRule(.regex, "^Incorrect transfers: [0-9]+ of 3"),
            MessageRule(.once, "server {server_ip} took {int} tries and said {any}!"),
        ]
        let lines = ["Incorrect transfers: 0 of 3 (error rate 0.00%)", "server 10.99.0.2 took 12 tries and said hello there!"]
        #expect(matcher(rules).check(stdout: lines).failure == nil)
        #expect(matcher(rules).check(stdout: ["Incorrect transfers: 0 of 4"]).failure?.reason == "no line matches")
    }

    @Test func numberedTemplatesMatchTheirTransfer() {
        let rules = [MessageRule(.each, "copy {n} took {ms} ms")]
        let outcome = matcher(rules, repetitions: 2).check(stdout: ["copy 1 took 5 ms", "copy 2 took 0.25 ms"])
        #expect(outcome.failure == nil)
        #expect(outcome.entries[0].met == 2)
        #expect(matcher(rules, repetitions: 2).check(stdout: ["copy 2 took 5 ms", "copy 1 took 1 ms"]).failure != nil)
    }

    // MARK: loose matching, one rule at a time

    private func looseMatch(_ line: String, _ template: String, _ options: MatchOptions, transfer: Int? = 1) throws -> Bool {
        let normalizer = LineNormalizer(options)
        return try MessageTemplate(template, values: values, normalizer: normalizer).match(normalizer.normalize(line), transfer: transfer) != nil
    }

    @Test func looseIgnoresCase() throws {
        let template = Messages.serverStarting.template
        let line = "I AM STARTING receiving file \"sample.txt\" for the 1st time"
        #expect(try !looseMatch(line, template, MatchOptions()))
        #expect(try looseMatch(line, template, MatchOptions(ignoreCase: true)))
    }

    @Test func looseIgnoresQuotes() throws {
        let template = Messages.serverStarting.template
        let line = "I am starting receiving file sample.txt for the 1st time"
        #expect(try !looseMatch(line, template, MatchOptions()))
        #expect(try looseMatch(line, template, MatchOptions(ignoreQuotes: true)))
    }

    @Test func looseIgnoresPunctuationButKeepsDecimalPoints() throws {
        let template = Messages.serverTime.template
        let line = "The time used in millisecond to receive \"sample.txt\" for 1st time is : 0.412"
        #expect(try !looseMatch(line, template, MatchOptions()))
        #expect(try looseMatch(line, template, MatchOptions(ignorePunctuation: true)))
        let normalizer = LineNormalizer(MatchOptions(ignorePunctuation: true))
        let compiled = try MessageTemplate(template, values: values, normalizer: normalizer)
        #expect(compiled.match(normalizer.normalize(line), transfer: 1)?.ms == 0.412)
        #expect(normalizer.normalize("is:0.412, done.") == "is 0.412 done ")
    }

    @Test func looseFoldsRunsOfBlanksFromPrintWithCommas() throws {
        // Python's print("... file ", name, " for the ", n, "th time") doubles the blanks.
        let template = "I am starting receiving file {any} for the {nth} time"
        let line = "I am starting receiving file  receive1.txt for the  1 th time"
        #expect(try looseMatch(line, template, MatchOptions(anyOrdinal: true)))
    }

    @Test func anyOrdinalAcceptsEveryWayOfWritingIt() throws {
        let template = "copy for the {nth} time"
        for written in ["1st", "1 th", "1th", "1", "1ST"] {
            #expect(try looseMatch("copy for the \(written) time", template, .loose), "\(written)")
        }
        #expect(try !looseMatch("copy for the 1th time", template, MatchOptions()))
        #expect(try !looseMatch("copy for the 2nd time", template, .loose))
    }

    @Test func looseShorthandIsEveryRuleTogether() {
        #expect(MatchOptions.loose == MatchOptions(ignoreCase: true, ignoreQuotes: true, ignorePunctuation: true, anyOrdinal: true))
        let lines = ["i am starting receiving file  'sample.txt' for the  1 th time."]
        let rules = [MessageRule(.each, Messages.serverStarting.template)]
        #expect(matcher(rules, repetitions: 1, options: .loose).check(stdout: lines).failure == nil)
        // "milliseconds" for "millisecond" is a different word, loose or not.
        let time = ["The time used in milliseconds to receive sample.txt for 1 th time is: 0.5"]
        #expect(matcher([MessageRule(.each, Messages.serverTime.template)], repetitions: 1, options: .loose).check(stdout: time).failure != nil)
    }

    @Test func counterBaseZeroMatchesNMinusOne() {
        let rules = [MessageRule(.each, "copy {n} sent")]
        let fromZero = ["copy 0 sent", "copy 1 sent", "copy 2 sent"]
        #expect(matcher(rules).check(stdout: fromZero).failure != nil)
        let outcome = matcher(rules, options: MatchOptions(counterBase: 0)).check(stdout: fromZero)
        #expect(outcome.failure == nil && outcome.entries[0].met == 3)
        let failure = matcher(rules, repetitions: 4, options: MatchOptions(counterBase: 0)).check(stdout: fromZero).failure
        #expect(failure?.reason == "missing line for transfer 4 (numbered 3)" && failure?.expected == "copy 3 sent")
        // Without counter_base, a program counting from 0 misses only its last line: say why.
        let hinted = matcher(rules).check(stdout: fromZero).entries[0]
        #expect(hinted.met == 2 && hinted.seemsToCountFromZero)
        #expect(!matcher(rules).check(stdout: ["copy 1 sent", "copy 2 sent"]).entries[0].seemsToCountFromZero)
    }

    @Test func anyBeforeANumberLeavesItEveryDigit() {
        let rules = [MessageRule(.each, "stored {any}{n}.txt")]
        let lines = (1...12).map { "stored as receive\($0).txt" }
        let outcome = matcher(rules, repetitions: 12).check(stdout: lines)
        #expect(outcome.failure == nil)
        #expect(outcome.entries[0].met == 12)
    }

    @Test func aMissIsNotTheEndEveryEntryIsJudged() {
        // No time lines at all (requirement d), but the average (e) and done (f) are there.
        let lines = serverOutput(3).filter { !$0.hasPrefix("The time used") }
        let outcome = matcher(SeedMessages.server).check(stdout: lines)
        #expect(outcome.entries.map(\.passed) == [true, true, true, false, true, true])
        #expect(outcome.entries[3].met == 0 && outcome.entries[3].failure?.misses == 3)
        #expect(outcome.failure?.reason == "missing line for transfer 1")
    }

    @Test func eachCountsTheTransfersThatHaveTheirLine() {
        var lines = serverOutput(4)
        lines.removeAll { $0 == Messages.serverFinishing.line(file: "sample.txt", n: 2) || $0 == Messages.serverFinishing.line(file: "sample.txt", n: 4) }
        let outcome = matcher(SeedMessages.server, repetitions: 4).check(stdout: lines)
        let finishing = outcome.entries[2]
        #expect(finishing.met == 2 && finishing.required == 4 && finishing.failure?.misses == 2)
        #expect(finishing.failure?.reason == "missing line for transfer 2")
        #expect(outcome.entries[1].passed && outcome.entries[3].passed)
    }

    @Test func anyBetweenBlanksMayBeEmpty() throws {
        let template = "The average time to receive file {any} in millisecond is: {ms}"
        #expect(try looseMatch("The average time to receive file in millisecond is: 0.5", template, MatchOptions(), transfer: nil))
        #expect(try looseMatch("The average time to receive file a b.txt in millisecond is: 0.5", template, MatchOptions(), transfer: nil))
        #expect(try !looseMatch("The average time to receive filein millisecond is: 0.5", template, MatchOptions(), transfer: nil))
    }

    @Test func templatesMatchWholeWordsAtTheirEdges() throws {
        #expect(try !looseMatch("I am ready for any client side requests", "I am ready for any client side request", .loose, transfer: nil))
        #expect(try looseMatch("I am ready for any client side request.", "I am ready for any client side request", .loose, transfer: nil))
        #expect(try !looseMatch("I am starting receiving file a for the 1 th timeout", "I am starting receiving file {any} for the {nth} time", .loose))
        #expect(try looseMatch("Madam I am done", "I am done", MatchOptions(), transfer: nil))
        #expect(try !looseMatch("xI am done", "I am done", MatchOptions(), transfer: nil))
    }
}
