import FerryCore
import FerryScenario
import Foundation

/// What happened while a case ran, as the evaluation needs it.
struct CaseFacts {
    /// Checks made while running: builds, starts, readiness, the time limit.
    var runChecks: [Check] = []
    var serverEnd: Termination?
    var clientEnd: Termination?
    /// What each side printed, judged as it arrived.
    var server = SideOutput.empty
    var client = SideOutput.empty
    /// Why the transfers never ran (a build failed, the server never became ready); nil when they did.
    var blocker: String?
    var verified: Verification
    /// The connection counters, or why there are none.
    var counts: Result<FlowCounters.Counts, FerryError>
    /// The isolation used.
    var mode: CaseHosts.Mode
    /// Timing budgets are not judged (`--jobs` above 1 without `--judge-times`): why.
    var timesNotJudged: String?
    /// Bytes of output past the logs' cap, both sides.
    var droppedOutput = 0
    /// Processes that still held a side's output after it exited (`1234 (sleep)`), by side.
    var strays: [CheckName.Side: [String]] = [:]
}

/// Turns what the two sides printed and what the runner verified into checks: every check, in a
/// fixed order, each passed, failed or skipped with the reason, each with its points.
struct CaseEvaluation {
    let testCase: ScenarioCase
    let values: [String: String]

    private var scenario: Scenario { testCase.scenario }
    private var expect: Expectations { testCase.expectations }
    private var normalizer: LineNormalizer { LineNormalizer(expect.match) }
    private var repetitions: Int { scenario.transfer.repetitions }

    func checks(_ facts: CaseFacts) -> [Check] {
        var checks = facts.runChecks
        let transfersRan = facts.blocker == nil
        func judged(_ name: String, _ check: () -> Check) {
            checks.append(transfersRan ? check() : .skipped(name, because: facts.blocker ?? ""))
        }

        let expected = Termination.exited(expect.exitCode)
        for (side, end, output) in [(CheckName.Side.client, facts.clientEnd, facts.client), (.server, facts.serverEnd, facts.server)] {
            judged(CheckName.exit(side)) {
                let actual = end?.description ?? "no exit (stopped)"
                let passed = end == expected
                let strays = facts.strays[side].map { $0.isEmpty ? "" : "; its output was still held after it exited by \($0.joined(separator: ", "))" } ?? ""
                return Check(
                    name: CheckName.exit(side), passed: passed,
                    detail: "expected \(expected), got \(actual)\(strays)" + (passed ? "" : Self.lastError(output.lastError)),
                    context: passed ? [] : output.stderrTail.map(\.quoted))
            }
        }
        for side in [CheckName.Side.server, .client] {
            let rules = messageRules(side)
            if transfersRan {
                checks += messageChecks(side, rules: rules, output: side == .server ? facts.server : facts.client)
            } else {
                checks += rules.map { .skipped(checkName(side, $0), because: facts.blocker ?? "") }
            }
        }
        if expect.seed {
            for side in [CheckName.Side.server, .client] {
                judged(CheckName.average(side)) { averageCheck(side, output: side == .server ? facts.server : facts.client) }
            }
        }
        judged(CheckName.incorrectReport) { reportedIncorrectCheck(facts.server.reportedIncorrect, verified: facts.verified) }
        judged(CheckName.copies) { copiesCheck(facts.verified) }
        if testCase.transport == .tcp {
            judged(CheckName.connections) { connectionsCheck(facts.counts) }
        }
        if facts.mode == .sameHost {
            judged(CheckName.realAddress) { realAddressCheck(facts.counts) }
        }
        if let budget = expect.maxAverageMs {
            if let reason = facts.timesNotJudged {
                checks.append(.skipped(CheckName.maxAverage, because: reason))
            } else {
                judged(CheckName.maxAverage) {
                    let average = facts.client.average
                    let shown = average.map { Formatting.milliseconds($0) } ?? "none printed"
                    return Check(
                        name: CheckName.maxAverage, passed: (average ?? .infinity) <= budget,
                        detail: "client average at most \(budget) ms, got \(shown)")
                }
            }
        }
        return assignPoints(Self.inReadingOrder(checks))
    }

    /// The checks of running the sides, in the order a reader wants them: builds, starts, then the
    /// exits (the client's first: when it failed and the server then waited for more, the client's
    /// failure is the cause), then the time limit. Every other check keeps its place after them.
    static let runOrder = [
        CheckName.build(.server), CheckName.build(.client), CheckName.start(.server), CheckName.serverReady,
        CheckName.start(.client), CheckName.exit(.client), CheckName.exit(.server), CheckName.timeLimit,
    ]

    static func inReadingOrder(_ checks: [Check]) -> [Check] {
        checks.enumerated()
            .sorted { left, right in
                let a = runOrder.firstIndex(of: left.element.name) ?? runOrder.count
                let b = runOrder.firstIndex(of: right.element.name) ?? runOrder.count
                return a != b ? a < b : left.offset < right.offset
            }
            .map(\.element)
    }

    // MARK: points

    /// Points from `expect.points` and message entries' `points`; when the scenario gives none
    /// anywhere, every check is worth 1.
    private func assignPoints(_ checks: [Check]) -> [Check] {
        let rulePoints = Dictionary(
            (messageRules(.server).map { (checkName(.server, $0), $0.points) } + messageRules(.client).map { (checkName(.client, $0), $0.points) })
                .compactMap { name, points in points.map { (name, $0) } },
            uniquingKeysWith: { first, _ in first })
        let anyPoints = !expect.points.isEmpty || !rulePoints.isEmpty
        return checks.map { check in
            var check = check
            check.points = anyPoints ? (expect.points[check.name] ?? rulePoints[check.name] ?? 0) : 1
            return check
        }
    }

    // MARK: messages

    /// A side's message rules: the seed lines (unless `messages: none`), then the scenario's own.
    func messageRules(_ side: CheckName.Side) -> [MessageRule] {
        (expect.seed ? SeedMessages.rules(side) : []) + (side == .server ? expect.server : expect.client)
    }

    /// `server.lines.starting` for a seed rule, `server.messages.2` for the scenario's own.
    private func checkName(_ side: CheckName.Side, _ rule: MessageRule) -> String {
        let seed = expect.seed && SeedMessages.rules(side).contains(rule)
        let name = rule.name ?? "?"
        return seed ? CheckName.lines(side, name) : CheckName.messages(side, name)
    }

    /// Watches a side's output as it arrives: its message entries, time and average lines.
    func observer(_ side: CheckName.Side) -> SideObserver {
        let (time, average) = side == .server ? (Messages.serverTime, Messages.serverAverage) : (Messages.clientTime, Messages.clientAverage)
        return SideObserver(rules: messageRules(side), values: values, repetitions: repetitions, options: expect.match,
                            time: time.template, average: average.template)
    }

    /// The most characters of a side's last stderr line quoted in a check's one-line detail.
    static let quotedErrorLength = 200

    /// `; its last error: "server: bind 10.99.0.2:5001: Cannot assign requested address"` for a side
    /// that printed anything on stderr, so the one line (JUnit message, GitHub annotation) says why;
    /// empty otherwise.
    static func lastError(_ line: CapturedLine?) -> String {
        guard let line else { return "" }
        let text = line.text.trimmingCharacters(in: .whitespaces)
        let shown = text.count > quotedErrorLength ? text.prefix(quotedErrorLength) + "…" : Substring(text)
        return "; its last error: \"\(shown)\""
    }

    private func messageChecks(_ side: CheckName.Side, rules: [MessageRule], output: SideOutput) -> [Check] {
        let outcome = output.messages
        let lineCount = outcome.stdoutLines
        return outcome.entries.map { entry in
            let rule = rules[entry.index]
            let name = checkName(side, rule)
            let share = entry.required > 0 ? Double(entry.met) / Double(entry.required) : 0
            guard let failure = entry.failure else {
                let found = rule.kind == .each ? "found for all \(entry.required) transfers" : rule.kind == .absent ? "absent" : "found"
                return Check(name: name, passed: true, detail: "\(Self.quoted(rule)) \(found)", share: 1)
            }
            let low = max(0, failure.position - 2)
            let high = min(lineCount, failure.position + 3)
            let context = low < high ? output.stdoutLines(low..<high).enumerated().map { "\(low + $0.offset + 1): \($0.element)" } : []
            let location = rule.mark.map { " (\(scenario.path):\($0))" } ?? ""
            var count = rule.kind == .each ? "; \(entry.met) of \(entry.required) transfers have it" : ""
            if entry.seemsToCountFromZero { count += " (it seems to count from 0: expect.counter_base: 0)" }
            return Check(
                name: name, passed: false,
                detail: "\(failure.reason)\(location): expected \"\(failure.expected)\"\(count); stdout has \(lineCount) lines, "
                    + (failure.position < lineCount ? "search stopped at line \(failure.position + 1)" : "search reached the end"),
                context: context, share: rule.kind == .each ? share : 0)
        }
    }

    private static func quoted(_ rule: MessageRule) -> String {
        "\(rule.kind == .contains ? "" : "\(rule.kind.rawValue) ")\"\(rule.text)\""
    }

    private func averageCheck(_ side: CheckName.Side, output: SideOutput) -> Check {
        let name = CheckName.average(side)
        let printed = output.times
        guard let stated = output.average else {
            return Check(name: name, passed: false, detail: "no average line printed")
        }
        guard printed.count > 0 else {
            return Check(name: name, passed: false, detail: "an average of \(stated) ms but no per-transfer times printed")
        }
        let mean = printed.sumMs / Double(printed.count)
        let passed = abs(mean - stated) <= 0.0005 + 1e-9
        return Check(
            name: name, passed: passed,
            detail: "printed average \(Formatting.milliseconds(stated)) ms, mean of the \(printed.count) printed times \(Formatting.fixed(mean, decimals: 4)) ms")
    }

    // MARK: copies and connections

    private func reportedIncorrectCheck(_ reported: Int?, verified: Verification) -> Check {
        guard let reported else {
            return Check(
                name: CheckName.incorrectReport, passed: true,
                detail: "no \"\(Messages.incorrectLabel)K of N\" line printed, so no count of the server's own to compare")
        }
        let files = verified.differingFiles.isEmpty ? "" : " (differing: \(verified.differingFiles.prefix(5).joined(separator: ", ")))"
        return Check(
            name: CheckName.incorrectReport, passed: reported == verified.incorrect,
            detail: "server reported \(reported) incorrect, the runner found \(verified.incorrect)\(files)")
    }

    private func copiesCheck(_ verified: Verification) -> Check {
        if let problem = verified.problem {
            return Check(name: CheckName.copies, passed: false, detail: "the copies could not be verified: \(problem)")
        }
        let allowed: Int
        var limits: String
        if let rate = expect.maxErrorRate {
            allowed = Int((rate * Double(repetitions) / 100).rounded(.down))
            limits = "error rate at most \(Formatting.fixed(rate, decimals: 2))%"
        } else {
            allowed = expect.maxIncorrect ?? 0
            limits = "at most \(allowed) incorrect"
        }
        var passed = verified.incorrect <= allowed
        if let minimum = expect.minIncorrect {
            limits += ", at least \(minimum) incorrect"
            passed = passed && verified.incorrect >= minimum
        }
        let files = verified.differingFiles.isEmpty ? "" : "; differing: \(verified.differingFiles.prefix(5).joined(separator: ", "))"
        let extra = verified.extraFiles.isEmpty
            ? "" : "; \(verified.extraFiles.count) extra (not counted): \(verified.extraFiles.prefix(5).joined(separator: ", "))"
        let notes = verified.notes.prefix(3).map { "; \($0)" }.joined()
        return Check(
            name: CheckName.copies, passed: passed,
            detail: "\(verified.identical) identical, \(verified.differing) differing, \(verified.missing) missing of \(repetitions) (\(limits))\(files)\(extra)\(notes)",
            share: Double(verified.identical) / Double(max(repetitions, 1)))
    }

    private func connectionsCheck(_ counts: Result<FlowCounters.Counts, FerryError>) -> Check {
        switch counts {
        case .failure(let why):
            return .skipped(CheckName.connections, because: why.message)
        case .success(let counts):
            return Check(
                name: CheckName.connections, passed: counts.connections >= repetitions,
                detail: "\(counts.connections) TCP connections accepted for \(repetitions) transfers (one per transfer: non-persistent connections)")
        }
    }

    private func realAddressCheck(_ counts: Result<FlowCounters.Counts, FerryError>) -> Check {
        switch counts {
        case .failure(let why):
            return .skipped(CheckName.realAddress, because: why.message)
        case .success(let counts):
            let serverIP = values["server_ip"] ?? "the server's address"
            return Check(
                name: CheckName.realAddress, passed: counts.toLoopback == 0 && counts.toServerAddress > 0,
                detail: "\(counts.toServerAddress) connections to \(serverIP) port \(scenario.transfer.port), \(counts.toLoopback) to loopback on any port (the assignment forbids loopback)")
        }
    }
}
