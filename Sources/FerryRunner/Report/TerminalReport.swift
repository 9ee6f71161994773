import FerryCore

/// What the runner prints for people: one line per case, and for a failure the first failed
/// check with expected vs. actual and the output around where it diverged.
public enum TerminalReport {
    /// `PASS tcp-100  tcp  buffer 1048576  100 transfers  0 incorrect  client 0.431 ms  server 0.398 ms  (1.2 s)`
    public static func caseLine(_ result: CaseResult) -> String {
        let client = result.clientAverage.map { "\(Formatting.milliseconds($0)) ms" } ?? "-"
        let server = result.serverAverage.map { "\(Formatting.milliseconds($0)) ms" } ?? "-"
        let link = result.impairment.map { "  [\($0)]" } ?? ""
        return "\(result.passed ? "PASS" : "FAIL") \(result.name)  \(result.transport)\(link)  buffer \(result.bufferSize)  "
            + "\(result.repetitions) transfers  \(result.incorrect) incorrect  client \(client)  server \(server)  "
            + "(\(Formatting.fixed(result.duration, decimals: 1)) s)"
    }

    /// The lines explaining a failed case; empty for a passed one.
    public static func failureLines(_ result: CaseResult) -> [String] {
        guard let failure = result.firstFailure else { return [] }
        var lines = ["     \(failure.name): \(failure.detail)"]
        if !failure.context.isEmpty {
            lines.append("     output around there:")
            lines += failure.context.map { "       \($0)" }
        }
        lines.append("     logs and copies: \(result.folder)")
        return lines
    }

    /// The closing summary line.
    public static func summary(_ results: [CaseResult]) -> String {
        let failed = results.filter { !$0.passed }.count
        return "\(results.count - failed) passed, \(failed) failed"
    }
}
