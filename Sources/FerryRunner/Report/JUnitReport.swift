import FerryCore
import Foundation

/// The `--junit` report: a `<testsuite>` per scenario file, a `<testcase>` per case, the first
/// failed check as `<failure>`, and both sides' output as `<system-out>`.
public enum JUnitReport {
    public static func render(_ results: [CaseResult]) -> String {
        var files: [String] = []
        for result in results where !files.contains(result.scenario) { files.append(result.scenario) }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let failures = results.filter { !$0.passed }.count
        xml += "<testsuites name=\"ferry\" tests=\"\(results.count)\" failures=\"\(failures)\" time=\"\(seconds(results.map(\.duration).reduce(0, +)))\">\n"
        for file in files {
            let cases = results.filter { $0.scenario == file }
            xml += "  <testsuite name=\"\(escape(cases[0].scenarioName))\" file=\"\(escape(file))\" tests=\"\(cases.count)\" "
            xml += "failures=\"\(cases.filter { !$0.passed }.count)\" errors=\"0\" skipped=\"0\" "
            xml += "time=\"\(seconds(cases.map(\.duration).reduce(0, +)))\">\n"
            for result in cases {
                xml += "    <testcase name=\"\(escape(result.name))\" classname=\"\(escape(file))\" time=\"\(seconds(result.duration))\">\n"
                if let failure = result.firstFailure {
                    let body = ([failure.detail] + failure.context).joined(separator: "\n")
                    xml += "      <failure message=\"\(escape("\(failure.name): \(failure.detail)"))\" type=\"\(escape(failure.name))\">"
                    xml += "\(escape(body))</failure>\n"
                }
                let output = TerminalReport.caseLine(result) + "\n"
                    + result.checks.map { "\($0.passed ? "ok  " : "FAIL") \($0.name): \($0.detail)" }.joined(separator: "\n")
                    + "\n--- server ---\n" + result.serverLog.map(\.text).joined(separator: "\n")
                    + "\n--- client ---\n" + result.clientLog.map(\.text).joined(separator: "\n")
                xml += "      <system-out>\(escape(output))</system-out>\n"
                xml += "    </testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    static func seconds(_ value: Double) -> String { Formatting.fixed(value, decimals: 3) }

    /// Escapes text for XML attributes and content, dropping characters XML 1.0 cannot hold.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) { continue }
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
