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

    @Test func seedRulesAcceptFerrysServerAndCaptureTimes() {
        let outcome = matcher(SeedMessages.server).check(stdout: serverOutput(3, times: ["0.100", "0.200", "0.300"]))
        #expect(outcome.failure == nil)
        #expect(outcome.captured[3] == [0.1, 0.2, 0.3])
        #expect(outcome.captured[4] == [0.25])
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
        #expect(outcome.captured[0] == [5, 0.25])
        #expect(matcher(rules, repetitions: 2).check(stdout: ["copy 2 took 5 ms", "copy 1 took 1 ms"]).failure != nil)
    }
}
