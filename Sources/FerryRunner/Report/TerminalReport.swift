import FerryCore
import FerryScenario

/// What the runner prints for people: one line per case, and for a failure every failed check
/// with expected vs. actual and the output around where it diverged (or the side's last stderr
/// lines), then one line naming the checks that were skipped because of them.
public enum TerminalReport {
    /// `PASS tcp-100  tcp  buffer 1048576  100 transfers  0 incorrect  client 0.431 ms  server 0.398 ms  (1.2 s)`
    ///
    /// The averages are those of the assignment's average lines (10e, 9e), left out when a side
    /// printed none; the score is shown for submissions.
    public static func caseLine(_ result: CaseResult) -> String {
        let link = result.impairment.map { "  [\($0)]" } ?? ""
        let verified = result.checks.contains { $0.name == CheckName.copies && $0.status == .skipped }
            ? "copies not verified" : "\(result.incorrect) incorrect"
        var averages = ""
        if let client = result.clientAverage { averages += "  client \(Formatting.milliseconds(client)) ms" }
        if let server = result.serverAverage { averages += "  server \(Formatting.milliseconds(server)) ms" }
        let score = result.submission == nil ? "" : "  score \(ScoreReport.points(result.score))/\(ScoreReport.points(result.maximumScore))"
        return "\(result.passed ? "PASS" : "FAIL") \(result.name)  \(result.transport)\(link)  buffer \(result.bufferSize)  "
            + "\(result.repetitions) transfers  \(verified)\(averages)\(score)  (\(Formatting.fixed(result.duration, decimals: 1)) s)"
    }

    /// The most context lines shown per failed check.
    public static let contextLines = 10

    /// The most failed checks shown with their context lines; the others get their one line, so a
    /// case with twenty failed checks stays readable (the logs hold everything).
    public static let checksWithContext = 3

    /// The lines explaining a failed case; empty for a passed one.
    public static func failureLines(_ result: CaseResult) -> [String] {
        let failures = result.failures
        guard !failures.isEmpty else { return [] }
        var lines: [String] = []
        var shownContext = 0
        for failure in failures {
            lines.append("     FAIL \(failure.name): \(failure.detail)")
            guard !failure.context.isEmpty, shownContext < checksWithContext else { continue }
            shownContext += 1
            let aroundLine = failure.context.first?.first?.isNumber == true
            lines.append(aroundLine ? "          output around there:" : "          its last lines:")
            lines += failure.context.suffix(contextLines).map { "            \($0)" }
        }
        let skipped = result.checks.filter { $0.status == .skipped }
        let reasons = Set(skipped.map(\.detail))
        if !skipped.isEmpty && reasons.count == 1, let reason = reasons.first {
            lines.append("     skipped \(skipped.count) checks: \(reason)")
        } else if !skipped.isEmpty {
            lines.append("     skipped: " + skipped.map { "\($0.name) (\($0.detail))" }.joined(separator: "; "))
        }
        lines.append("     logs and copies: \(result.folder)")
        return lines
    }

    /// `ok  `, `FAIL` or `skip` for one check.
    public static func statusWord(_ check: Check) -> String {
        switch check.status {
        case .passed: "ok  "
        case .failed: "FAIL"
        case .skipped: "skip"
        }
    }

    /// The closing summary line.
    public static func summary(_ results: [CaseResult]) -> String {
        let failed = results.filter { !$0.passed }.count
        return "\(results.count - failed) passed, \(failed) failed"
    }
}
