import FerryCore
@testable import FerryRunner
import FerryScenario
import FerryTestSupport
import Foundation
import Testing

@Suite struct ScoringTests {
    @Test func checksEarnTheirPointsFullyInShareOrNotAtAll() {
        #expect(Check(name: "a", status: .passed, detail: "", points: 4).score == 4)
        #expect(Check(name: "a", status: .failed, detail: "", points: 10, share: 0.25).score == 2.5)
        #expect(Check(name: "a", status: .failed, detail: "", points: 10).score == 0)
        #expect(Check(name: "a", status: .skipped, detail: "", points: 10, share: 1).score == 0)
    }

    private func evaluate(_ expect: String, serverStdout: [String], verified: Verification, blocker: String? = nil) throws -> [Check] {
        let folder = try TemporaryDirectory("ferry-score")
        defer { folder.remove() }
        let file = try folder.write("sample.txt", bytes: Array("x".utf8))
        let text = "transfer: {file: \(file), repetitions: 4}\nserver: {command: [srv]}\nclient: {command: [cli]}\nexpect:\n\(expect)"
        let scenario = try ScenarioLoader.decode(text, path: folder.file("s.yaml"))
        var facts = CaseFacts(verified: verified, counts: .failure(FerryError("no counters")), mode: .namespaces)
        facts.serverEnd = .exited(0)
        facts.clientEnd = .exited(0)
        facts.blocker = blocker
        let evaluation = CaseEvaluation(testCase: scenario.cases[0], values: ["file": "sample.txt"])
        facts.server = evaluation.observer(.server).judged(serverStdout.map { CapturedLine(stream: .stdout, time: 0, text: $0) })
        return evaluation.checks(facts)
    }

    @Test func pointsFollowTheScenarioAndShares() throws {
        let checks = try evaluate(
            """
              messages: none
              server:
                - {each: "copy {n} stored", points: 10}
                - {once: "bye", points: 2, name: bye}
              points: {copies: 40, server.exit: 5}
            """,
            serverStdout: ["copy 1 stored", "copy 3 stored", "bye"],
            verified: Verification(identical: 3, differing: 1, missing: 0))
        let byName = Dictionary(uniqueKeysWithValues: checks.map { ($0.name, $0) })
        #expect(byName["server.messages.1"]?.score == 5)  // 2 of 4 transfers
        #expect(byName["server.messages.bye"]?.score == 2)
        #expect(byName["copies"]?.score == 30)  // 3 of 4 identical
        #expect(byName["server.exit"]?.score == 5)
        #expect(byName["client.exit"]?.points == 0)
        let result = checks.reduce(0) { $0 + $1.score }
        #expect(result == 42)
        #expect(checks.reduce(0) { $0 + $1.points } == 57)
    }

    @Test func withoutPointsEveryCheckIsWorthOne() throws {
        let checks = try evaluate("  messages: none\n  server: [bye]\n", serverStdout: ["bye"], verified: Verification(identical: 4, differing: 0, missing: 0))
        #expect(checks.allSatisfy { $0.points == 1 })
        #expect(checks.map(\.name) == ["client.exit", "server.exit", "server.messages.1", "server.incorrect_report", "copies", "connections"])
    }

    @Test func checksThatCouldNotRunScoreNothingAndSayWhy() throws {
        let checks = try evaluate(
            "  points: {copies: 40, server.lines.done: 1}\n", serverStdout: [],
            verified: .unverified(4, because: "not run"), blocker: "the server never became ready")
        #expect(checks.allSatisfy { $0.status == .skipped && $0.detail == "the server never became ready" })
        #expect(checks.reduce(0) { $0 + $1.score } == 0)
        #expect(checks.reduce(0) { $0 + $1.points } == 41)
        #expect(checks.contains { $0.name == "server.lines.done" } && checks.contains { $0.name == "client.lines.connecting" })
    }

    @Test func csvHasARowPerSubmissionAndAColumnPerCheck() {
        func result(_ submission: String, copies: Check) -> CaseResult {
            var result = sampleResult(name: "tcp-4", scenario: "g.yaml", passed: true)
            result.checks = [Check(name: "server.exit", status: .passed, detail: "", points: 5), copies]
            result.submission = submission
            result.folder = "/work/\(submission)/tcp-4"
            return result
        }
        let results = [
            result("alice", copies: Check(name: "copies", status: .passed, detail: "", points: 40)),
            result("bob, jr", copies: Check(name: "copies", status: .failed, detail: "", points: 40, share: 0.26)),
        ]
        #expect(ScoreReport.csv(results) == "submission,score,max,server.exit,copies\nalice,45,45,5,40\n\"bob, jr\",15.4,45,5,10.4\n")
        #expect(ScoreReport.submissionLine("bob, jr", [results[1]]) == "bob, jr  15.4/45  1 passed, 1 failed")
    }

    @Test func gradescopeResultsHaveTheirKeys() throws {
        var result = sampleResult(name: "tcp-4", scenario: "g.yaml", passed: false)
        result.checks = [Check(name: "copies", status: .failed, detail: "1 missing", points: 3, share: 1.0 / 3)]
        let object = try #require(JSONSerialization.jsonObject(with: ScoreReport.gradescope([result])) as? [String: Any])
        #expect(object["score"] as? Double == 1 && object["max_score"] as? Double == 3)
        let test = try #require((object["tests"] as? [[String: Any]])?.first)
        #expect(test["name"] as? String == "copies" && test["status"] as? String == "failed" && test["output"] as? String == "1 missing")
        #expect(test["score"] as? Double == 1 && test["max_score"] as? Double == 3)
    }

    @Test func theClientsFailureIsNamedBeforeTheServersWait() {
        let checks = CaseEvaluation.inReadingOrder([
            Check(name: "server.start", passed: true, detail: ""), Check(name: "time_limit", passed: false, detail: "server did not exit"),
            Check(name: "copies", passed: false, detail: ""), Check(name: "client.exit", passed: false, detail: "exit status 1"),
            Check(name: "server.exit", passed: false, detail: ""), Check(name: "server.build", passed: true, detail: ""),
        ])
        #expect(checks.map(\.name) == ["server.build", "server.start", "client.exit", "server.exit", "time_limit", "copies"])
    }

    @Test func submissionsShownAlikeAreScoredApart() {
        let results = ["a-b", "a-b-2"].map { folder in
            var result = sampleResult(name: "tcp-4", scenario: "g.yaml", passed: true)
            result.checks = [Check(name: "copies", status: folder == "a-b" ? .passed : .failed, detail: "", points: 10)]
            result.submission = "a?"
            result.folder = "/work/\(folder)/tcp-4"
            return result
        }
        #expect(ScoreReport.bySubmission(results).map { $0.1.count } == [1, 1])
        #expect(ScoreReport.csv(results) == "submission,score,max,copies\na?,10,10,10\na?,0,10,0\n")
    }
}
