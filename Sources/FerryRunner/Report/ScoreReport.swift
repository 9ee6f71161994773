import FerryCore
import Foundation

/// Scores for graders: a line per submission, `scores.csv` over all submissions, and a
/// Gradescope-style `results.json` per submission.
public enum ScoreReport {
    /// The CSV's name in the work folder.
    public static let csvName = "scores.csv"

    /// `alice  17.5/20  14 passed, 2 failed, 3 skipped`
    public static func submissionLine(_ name: String, _ cases: [CaseResult]) -> String {
        let checks = cases.flatMap(\.checks)
        let score = cases.reduce(0) { $0 + $1.score }
        let maximum = cases.reduce(0) { $0 + $1.maximumScore }
        let passed = checks.filter(\.passed).count
        let failed = checks.filter(\.failed).count
        let skipped = checks.count - passed - failed
        var line = "\(name)  \(points(score))/\(points(maximum))  \(passed) passed, \(failed) failed"
        if skipped > 0 { line += ", \(skipped) skipped" }
        return line
    }

    /// Points as people write them: `40`, `37.5`, `0.33`.
    public static func points(_ value: Double) -> String {
        var text = Formatting.fixed(value, decimals: 2)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// The results grouped by submission, in run order: by the submission's own work folder (two
    /// names shown alike stay apart), each group with the submission's name.
    public static func bySubmission(_ results: [CaseResult]) -> [(String, [CaseResult])] {
        var order: [String] = []
        var groups: [String: [CaseResult]] = [:]
        for result in results {
            let key = result.submission == nil ? "" : URL(fileURLWithPath: result.folder).deletingLastPathComponent().path
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(result)
        }
        return order.map { key in (groups[key]?.first?.submission ?? "", groups[key] ?? []) }
    }

    /// A check's name in score reports: the check's own, prefixed with the case when the
    /// scenarios have several cases.
    static func columnName(_ check: Check, of result: CaseResult, severalCases: Bool) -> String {
        severalCases ? "\(result.name): \(check.name)" : check.name
    }

    /// `submission,score,max,<check>,...`: one row per submission, each check's points earned;
    /// a column for every check worth points (checks worth none are left out).
    public static func csv(_ results: [CaseResult]) -> String {
        let severalCases = Set(results.map(\.name)).count > 1
        let worthPoints = Set(results.flatMap { result in
            result.checks.filter { $0.points > 0 }.map { columnName($0, of: result, severalCases: severalCases) }
        })
        var columns: [String] = []
        var rows: [(String, Double, Double, [String: Double])] = []
        for (name, cases) in bySubmission(results) {
            var earned: [String: Double] = [:]
            for result in cases {
                for check in result.checks {
                    let column = columnName(check, of: result, severalCases: severalCases)
                    guard worthPoints.contains(column) else { continue }
                    if !columns.contains(column) { columns.append(column) }
                    earned[column] = check.score
                }
            }
            rows.append((name, cases.reduce(0) { $0 + $1.score }, cases.reduce(0) { $0 + $1.maximumScore }, earned))
        }
        var text = (["submission", "score", "max"] + columns).map(field).joined(separator: ",") + "\n"
        for (name, score, maximum, earned) in rows {
            let cells = [name, points(score), points(maximum)] + columns.map { earned[$0].map(points) ?? "" }
            text += cells.map(field).joined(separator: ",") + "\n"
        }
        return text
    }

    /// One CSV field, quoted when it holds a comma, a quote or a line break.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    struct Gradescope: Encodable {
        struct Test: Encodable {
            var name: String
            var score: Double
            var maxScore: Double
            var output: String
            var status: String

            enum CodingKeys: String, CodingKey { case name, score, maxScore = "max_score", output, status }
        }

        var score: Double
        var maxScore: Double
        var tests: [Test]

        enum CodingKeys: String, CodingKey { case score, maxScore = "max_score", tests }
    }

    /// A Gradescope-style `results.json` for the cases of one submission.
    public static func gradescope(_ cases: [CaseResult]) throws -> Data {
        let severalCases = Set(cases.map(\.name)).count > 1
        let tests = cases.flatMap { result in
            result.checks.map { check in
                let output = check.status == .skipped ? "skipped: \(check.detail)" : ([check.detail] + check.context).joined(separator: "\n")
                return Gradescope.Test(
                    name: columnName(check, of: result, severalCases: severalCases), score: rounded(check.score),
                    maxScore: check.points, output: output, status: check.passed ? "passed" : "failed")
            }
        }
        let document = Gradescope(
            score: rounded(cases.reduce(0) { $0 + $1.score }), maxScore: cases.reduce(0) { $0 + $1.maximumScore }, tests: tests)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(document)
    }

    /// Points to the hundredth, so shares such as 2/3 do not print sixteen digits.
    static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}
