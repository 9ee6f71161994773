import FerryCore
import FerryScenario
import Foundation

/// Turns what the two sides printed and what the runner verified into checks.
struct CaseEvaluation {
    let testCase: ScenarioCase
    let values: [String: String]
    let verified: Verification

    private var scenario: Scenario { testCase.scenario }
    private var expect: Expectations { testCase.expectations }
    private var normalizer: LineNormalizer { LineNormalizer(expect.match) }

    func checks(
        serverEnd: Termination?, clientEnd: Termination?, serverLog: [CapturedLine], clientLog: [CapturedLine],
        startedClient: Bool
    ) -> [Check] {
        var checks: [Check] = []
        let expected = Termination.exited(expect.exitCode)
        if let serverEnd {
            checks.append(Check(name: "server_exit", passed: serverEnd == expected, detail: "expected \(expected), got \(serverEnd)"))
        }
        if startedClient {
            let actual = clientEnd?.description ?? "no exit (stopped)"
            checks.append(Check(name: "client_exit", passed: clientEnd == expected, detail: "expected \(expected), got \(actual)"))
        }
        let serverRules = (expect.seed ? SeedMessages.server : []) + expect.server
        let clientRules = (expect.seed ? SeedMessages.client : []) + expect.client
        checks.append(messageCheck("server_messages", rules: serverRules, log: serverLog))
        if startedClient { checks.append(messageCheck("client_messages", rules: clientRules, log: clientLog)) }
        if expect.seed {
            checks.append(averageCheck("server_average", log: serverLog, time: Messages.serverTime.template, average: Messages.serverAverage.template))
            if startedClient {
                checks.append(averageCheck("client_average", log: clientLog, time: Messages.clientTime.template, average: Messages.clientAverage.template))
            }
        }
        checks.append(reportedIncorrectCheck(serverLog))
        checks.append(copiesCheck())
        if let budget = expect.maxAverageMs {
            let average = self.average(clientLog, template: Messages.clientAverage.template)
            let shown = average.map { Formatting.milliseconds($0) } ?? "none printed"
            checks.append(Check(
                name: "max_average_ms", passed: (average ?? .infinity) <= budget,
                detail: "client average at most \(budget) ms, got \(shown)"))
        }
        return checks
    }

    private func stdout(_ log: [CapturedLine]) -> [String] { log.filter { $0.stream == .stdout }.map(\.text) }
    private func stderr(_ log: [CapturedLine]) -> [String] { log.filter { $0.stream == .stderr }.map(\.text) }

    private func messageCheck(_ name: String, rules: [MessageRule], log: [CapturedLine]) -> Check {
        let lines = stdout(log)
        let matcher = MessageMatcher(rules: rules, values: values, repetitions: scenario.transfer.repetitions, options: expect.match)
        let outcome = matcher.check(stdout: lines, stderr: stderr(log))
        guard let failure = outcome.failure else {
            return Check(name: name, passed: true, detail: "\(rules.count) expected messages found in order")
        }
        let low = max(0, failure.position - 2)
        let high = min(lines.count, failure.position + 3)
        let context = (low..<high).map { "\($0 + 1): \(lines[$0])" }
        let location = failure.rule.mark.map { " (\(scenario.path):\($0))" } ?? ""
        return Check(
            name: name, passed: false,
            detail: "\(failure.reason)\(location): expected \"\(failure.expected)\"; stdout has \(lines.count) lines, "
                + (failure.position < lines.count ? "search stopped at line \(failure.position + 1)" : "search reached the end"),
            context: context)
    }

    /// The `{ms}` figures of every line matching a seed time template.
    func times(_ log: [CapturedLine], template: String) -> [Double] {
        guard let compiled = try? MessageTemplate(template, values: values, normalizer: normalizer) else { return [] }
        return stdout(log).compactMap { compiled.match(normalizer.normalize($0))?.ms }
    }

    /// The `{ms}` figure of the first line matching a seed average template.
    func average(_ log: [CapturedLine], template: String) -> Double? {
        times(log, template: template).first
    }

    private func averageCheck(_ name: String, log: [CapturedLine], time: String, average: String) -> Check {
        let printed = times(log, template: time)
        guard let stated = self.average(log, template: average) else {
            return Check(name: name, passed: false, detail: "no average line printed")
        }
        guard !printed.isEmpty else {
            return Check(name: name, passed: false, detail: "an average of \(stated) ms but no per-transfer times printed")
        }
        let mean = printed.reduce(0, +) / Double(printed.count)
        let passed = abs(mean - stated) <= 0.0005 + 1e-9
        return Check(
            name: name, passed: passed,
            detail: "printed average \(Formatting.milliseconds(stated)) ms, mean of the \(printed.count) printed times \(Formatting.fixed(mean, decimals: 4)) ms")
    }

    private func reportedIncorrectCheck(_ log: [CapturedLine]) -> Check {
        let expression = try! NSRegularExpression(pattern: NSRegularExpression.escapedPattern(for: Messages.incorrectLabel) + "([0-9]+) of ([0-9]+)")
        for line in stdout(log) {
            let range = NSRange(line.startIndex..., in: line)
            guard let match = expression.firstMatch(in: line, range: range),
                let reported = Range(match.range(at: 1), in: line).flatMap({ Int(line[$0]) })
            else { continue }
            let files = verified.differingFiles.isEmpty ? "" : " (differing: \(verified.differingFiles.prefix(5).joined(separator: ", ")))"
            return Check(
                name: "server_incorrect_report", passed: reported == verified.incorrect,
                detail: "server reported \(reported) incorrect, the runner found \(verified.incorrect)\(files)")
        }
        return Check(name: "server_incorrect_report", passed: true, detail: "the server prints no incorrect count")
    }

    private func copiesCheck() -> Check {
        let repetitions = scenario.transfer.repetitions
        let allowed: Int
        let limit: String
        if let rate = expect.maxErrorRate {
            allowed = Int((rate * Double(repetitions) / 100).rounded(.down))
            limit = "error rate at most \(Formatting.fixed(rate, decimals: 2))%"
        } else {
            allowed = expect.maxIncorrect ?? 0
            limit = "at most \(allowed) incorrect"
        }
        var limits = limit
        var passed = verified.incorrect <= allowed
        if let minimum = expect.minIncorrect {
            limits += ", at least \(minimum) incorrect"
            passed = passed && verified.incorrect >= minimum
        }
        let files = verified.differingFiles.isEmpty ? "" : "; differing: \(verified.differingFiles.prefix(5).joined(separator: ", "))"
        return Check(
            name: "copies", passed: passed,
            detail: "\(verified.identical) identical, \(verified.differing) differing, \(verified.missing) missing of \(repetitions) (\(limits))\(files)")
    }
}
