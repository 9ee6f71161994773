import FerryCore
import Foundation

/// The `--html` report: a table of cases and, per case, a bar chart of the client's and the
/// server's per-transfer times (inline SVG, no scripts, opens anywhere).
public enum HTMLReport {
    public static func render(_ results: [CaseResult], run: RunInfo = RunInfo()) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Ferry run</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2em;color:#222}
            table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:right}
            td:first-child,th:first-child{text-align:left}.pass{color:#17803d}.fail{color:#b42318;font-weight:bold}.skip{color:#6b7280}
            td.detail{text-align:left;max-width:60em}pre{margin:.2em 0;white-space:pre-wrap;font-size:85%}
            p.meta{color:#555}figure{margin:1.5em 0}figcaption{font-weight:bold;margin-bottom:.3em}
            </style></head><body>
            <h1>Ferry run</h1>
            <p class="meta">\(RunInfo.timestamp(run.startedAt)) · Ferry \(FerryVersion.string) · \(JUnitReport.escape(run.hostname)) · <code>\(JUnitReport.escape(run.commandLine))</code></p>
            <table><tr><th>case</th><th>result</th><th>protocol</th><th>link</th><th>buffer</th><th>transfers</th><th>incorrect</th>
            <th>client avg ms</th><th>server avg ms</th><th>datagrams lost</th></tr>

            """
        for result in results {
            html += "<tr><td><a href=\"#\(anchor(result))\">\(JUnitReport.escape(result.name))</a></td>"
            html += "<td class=\"\(result.passed ? "pass" : "fail")\">\(result.passed ? "PASS" : "FAIL")</td>"
            html += "<td>\(result.transport)</td><td>\(JUnitReport.escape(result.impairment ?? "clean"))</td>"
            html += "<td>\(result.bufferSize)</td><td>\(result.repetitions)</td><td>\(result.incorrect)</td>"
            html += "<td>\(result.clientAverage.map(Formatting.milliseconds) ?? "-")</td>"
            html += "<td>\(result.serverAverage.map(Formatting.milliseconds) ?? "-")</td>"
            html += "<td>\(result.datagramsLost.map(String.init) ?? "-")</td></tr>\n"
        }
        html += "</table>\n"
        for result in results {
            html += "<h2 id=\"\(anchor(result))\">\(JUnitReport.escape(result.name))</h2>\n"
            html += checksTable(result)
            html += chart("client: ms per transfer", result.clientTimes, color: "#2563eb")
            html += chart("server: ms per transfer", result.serverTimes, color: "#d97706")
        }
        return html + "</body></html>\n"
    }

    static func anchor(_ result: CaseResult) -> String { CaseRunner.folderName(result.name) }

    /// A bar chart of `values`, one bar per transfer, with the maximum marked on the axis.
    static func chart(_ title: String, _ values: [Double], color: String) -> String {
        guard !values.isEmpty, let top = values.max(), top > 0 else {
            return "<figure><figcaption>\(title)</figcaption><p>no times printed</p></figure>\n"
        }
        let width = 720.0, height = 160.0, left = 60.0
        let barWidth = (width - left) / Double(values.count)
        var svg = "<figure><figcaption>\(title)</figcaption>"
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height + 20))\" role=\"img\">"
        svg += "<text x=\"0\" y=\"12\" font-size=\"11\">\(Formatting.milliseconds(top))</text>"
        svg += "<text x=\"0\" y=\"\(Int(height))\" font-size=\"11\">0</text>"
        svg += "<line x1=\"\(left)\" y1=\"\(height)\" x2=\"\(width)\" y2=\"\(height)\" stroke=\"#999\"/>"
        for (index, value) in values.enumerated() {
            let barHeight = max(1, value / top * (height - 10))
            let x = left + Double(index) * barWidth
            svg += "<rect x=\"\(Formatting.fixed(x, decimals: 1))\" y=\"\(Formatting.fixed(height - barHeight, decimals: 1))\" "
            svg += "width=\"\(Formatting.fixed(max(barWidth - 1, 0.5), decimals: 1))\" height=\"\(Formatting.fixed(barHeight, decimals: 1))\" fill=\"\(color)\">"
            svg += "<title>transfer \(index + 1): \(Formatting.milliseconds(value)) ms</title></rect>"
        }
        svg += "<text x=\"\(left)\" y=\"\(Int(height + 16))\" font-size=\"11\">transfer 1 … \(values.count)</text>"
        return svg + "</svg></figure>\n"
    }

    /// Every check of a case: status, name, points, detail and any quoted output.
    static func checksTable(_ result: CaseResult) -> String {
        var html = "<table class=\"checks\"><tr><th>check</th><th>result</th><th>points</th><th>detail</th></tr>\n"
        for check in result.checks {
            let (css, word) = switch check.status {
            case .passed: ("pass", "pass")
            case .failed: ("fail", "FAIL")
            case .skipped: ("skip", "skipped")
            }
            html += "<tr><td>\(JUnitReport.escape(check.name))</td><td class=\"\(css)\">\(word)</td>"
            html += "<td>\(ScoreReport.points(check.score))/\(ScoreReport.points(check.points))</td>"
            html += "<td class=\"detail\">\(JUnitReport.escape(check.detail))"
            if !check.context.isEmpty { html += "<pre>\(JUnitReport.escape(check.context.joined(separator: "\n")))</pre>" }
            html += "</td></tr>\n"
        }
        return html + "</table>\n"
    }
}
