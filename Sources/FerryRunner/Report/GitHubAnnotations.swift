import Foundation

/// `--github`: one GitHub Actions workflow command per failed check, so each shows on the
/// scenario file's line in the pull request: `::error file=scenarios/default.yaml,line=1,title=default: copies::3 of 100 …`.
public enum GitHubAnnotations {
    public static func lines(_ results: [CaseResult], run: RunInfo) -> [String] {
        var lines: [String] = []
        for result in results {
            for check in result.failures {
                lines.append("::error file=\(property(run.relative(result.scenario))),line=\(result.line),"
                    + "title=\(property("\(result.name): \(check.name)"))::\(data(check.detail))")
            }
        }
        if let error = run.error {
            let place = run.errorFile.map { "file=\(property(run.relative($0)))\(run.errorLine.map { ",line=\($0)" } ?? ""),title=runner" }
            lines.append("::error \(place ?? "title=runner")::\(data(error))")
        }
        return lines
    }

    /// A message, escaped as the workflow commands want it.
    static func data(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    /// A property value: also `:` and `,` escaped.
    static func property(_ text: String) -> String {
        data(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}
