import FerryCore
import Foundation

/// The `--junit` report: a `<testsuite>` per scenario file (with `timestamp` and `hostname`), a
/// `<testcase>` per case (`classname` and `file` the scenario's path relative to the current
/// folder, `line` its `name`), one `<failure>` listing every failed check, and both sides' output
/// as `<system-out>` for failed cases only. A run that stopped before judging (exit 2 or 3) is
/// one `<testcase>` holding an `<error>` with the reason.
public enum JUnitReport {
    public static func render(_ results: [CaseResult], run: RunInfo = RunInfo()) -> String {
        var files: [String] = []
        for result in results where !files.contains(result.scenario) { files.append(result.scenario) }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let failures = results.filter { !$0.passed }.count
        let errors = run.error == nil ? 0 : 1
        xml += "<testsuites name=\"ferry\" tests=\"\(results.count + errors)\" failures=\"\(failures)\" errors=\"\(errors)\" "
        xml += "time=\"\(seconds(results.map(\.duration).reduce(0, +)))\">\n"
        for file in files {
            let cases = results.filter { $0.scenario == file }
            let path = Markup.escape(run.relative(file))
            xml += "  <testsuite name=\"\(Markup.escape(cases[0].scenarioName))\" file=\"\(path)\" tests=\"\(cases.count)\" "
            xml += "failures=\"\(cases.filter { !$0.passed }.count)\" errors=\"0\" skipped=\"0\" "
            xml += "time=\"\(seconds(cases.map(\.duration).reduce(0, +)))\" timestamp=\"\(RunInfo.timestamp(cases[0].startedAt))\" "
            xml += "hostname=\"\(Markup.escape(run.hostname))\">\n"
            for result in cases {
                xml += "    <testcase name=\"\(Markup.escape(result.name))\" classname=\"\(path)\" file=\"\(path)\" line=\"\(result.line)\" "
                xml += "time=\"\(seconds(result.duration))\">\n"
                let failures = result.failures
                if let first = failures.first {
                    let message = failures.count == 1
                        ? "\(first.name): \(first.detail)"
                        : "\(failures.count) checks failed: \(failures.map(\.name).joined(separator: ", "))"
                    let body = TerminalReport.failureLines(result).map { $0.trimmingPrefix("     ") }.joined(separator: "\n")
                    xml += "      <failure message=\"\(Markup.escape(message))\" type=\"\(Markup.escape(failures.count == 1 ? first.name : "checks"))\">"
                    xml += "\(Markup.escape(body))</failure>\n"
                    // Output only where it explains a failure: a passing 20,000-transfer case would write megabytes.
                    let output = TerminalReport.caseLine(result) + "\n"
                        + result.checks.map { "\(TerminalReport.statusWord($0)) \($0.name): \($0.detail)" }.joined(separator: "\n")
                        + recentOutput("server", result.serverRecent, folder: result.folder)
                        + recentOutput("client", result.clientRecent, folder: result.folder)
                    xml += "      <system-out>\(Markup.escape(output))</system-out>\n"
                }
                xml += "    </testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        if let error = run.error {
            let path = Markup.escape(run.errorFile.map(run.relative) ?? "runner")
            xml += "  <testsuite name=\"runner\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0.000\" "
            xml += "timestamp=\"\(RunInfo.timestamp(run.startedAt))\" hostname=\"\(Markup.escape(run.hostname))\">\n"
            xml += "    <testcase name=\"runner\" classname=\"\(path)\"\(run.errorFile == nil ? "" : " file=\"\(path)\"")"
            xml += "\(run.errorLine.map { " line=\"\($0)\"" } ?? "") time=\"0.000\">\n"
            xml += "      <error message=\"\(Markup.escape(error))\" type=\"runner\">\(Markup.escape(error))</error>\n"
            xml += "    </testcase>\n  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    static func seconds(_ value: Double) -> String { Formatting.fixed(value, decimals: 3) }

    /// `--- server (the last 200 lines; all in <folder>/server.log) ---` and the lines.
    static func recentOutput(_ side: String, _ lines: [CapturedLine], folder: String) -> String {
        let texts: [String] = lines.map(\.text)
        return "\n--- \(side) (the last \(SideCapture.recentLines) lines at most; all in \(folder)/\(side).log) ---\n"
            + texts.joined(separator: "\n")
    }
}
