import FerryCore
import Foundation

/// The `--html` report: one self-contained file (inline CSS and SVG, no scripts). First the run's
/// metadata and a comparison of every case; then per case its facts, links to its logs, every
/// check, and each side's times per transfer.
public enum HTMLReport {
    /// - Parameter folder: where the report is written; links to the logs are relative to it.
    public static func render(_ results: [CaseResult], run: RunInfo = RunInfo(), folder: String? = nil) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Ferry run</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2em;color:#222}p{max-width:60em}
            table{border-collapse:collapse;margin:.5em 0}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:right;vertical-align:top}
            td:first-child,th:first-child,th.detail{text-align:left}table.cases{font-size:85%}table.cases td{white-space:nowrap}.pass{color:#17803d}.fail{color:#b42318;font-weight:bold}.skip{color:#6b7280}
            td.detail{text-align:left;max-width:60em}pre{margin:.2em 0;white-space:pre-wrap;font-size:85%}
            p.meta,p.facts,p.note{color:#555}figure{margin:1.2em 0}figcaption{font-weight:bold;margin-bottom:.3em}
            table.grid td{text-align:left;min-width:13em}td.exact{background:#f0fdf4}td.lossy{background:#fef2f2}td.none{color:#999}
            div.rate{height:.5em;background:#e5e7eb;margin:.3em 0;width:10em}div.rate span{display:block;height:100%;background:\(Palette.incorrect)}
            ul.legend{list-style:none;padding:0;margin:.3em 0;font-size:90%}ul.legend li{display:inline-block;margin-right:1.2em}
            span.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em}
            section.case{border-top:2px solid #ddd;margin-top:2em}
            </style></head><body>
            <h1>Ferry run</h1>
            <p class="meta">\(RunInfo.timestamp(run.startedAt)) · Ferry \(FerryVersion.string) · \(Markup.escape(run.hostname)) · <code>\(Markup.escape(run.commandLine))</code></p>
            <p>\(Markup.escape(TerminalReport.summary(results)))</p>

            """
        if !results.isEmpty { html += ComparisonSection.render(results) }
        html += caseTable(results)
        for result in results { html += section(result, folder: folder) }
        return html + "</body></html>\n"
    }

    /// The case's name, after its submission's with `--submissions` (the same case runs for each).
    static func displayName(_ result: CaseResult) -> String {
        result.submission.map { "\($0): \(result.name)" } ?? result.name
    }

    /// The case section's id: unique across submissions.
    static func anchor(_ result: CaseResult) -> String { CaseRunner.folderName(displayName(result)) }

    /// `<span class="pass">PASS</span>` or `<span class="fail">FAIL</span>`.
    static func verdict(_ result: CaseResult) -> String {
        "<span class=\"\(result.passed ? "pass" : "fail")\">\(result.passed ? "PASS" : "FAIL")</span>"
    }

    private static func caseTable(_ results: [CaseResult]) -> String {
        var html = "<h2>Cases</h2>\n<table class=\"cases\"><tr><th>case</th><th>result</th><th>protocol</th><th>link</th><th>buffer</th>"
            + "<th>transfers</th><th>incorrect</th><th>client avg ms</th><th>server avg ms</th><th>MB/s</th>"
            + "<th>retransmissions</th><th>datagrams lost</th></tr>\n"
        for result in results {
            html += "<tr><td><a href=\"#\(anchor(result))\">\(Markup.escape(displayName(result)))</a></td><td>\(verdict(result))</td>"
            html += "<td>\(result.transport)</td><td>\(Markup.escape(ComparisonSection.link(of: result)))</td>"
            html += "<td>\(result.bufferSize)</td><td>\(result.repetitions)</td><td>\(result.incorrect)</td>"
            html += "<td>\(result.clientAverage.map(Formatting.milliseconds) ?? "-")</td>"
            html += "<td>\(result.serverAverage.map(Formatting.milliseconds) ?? "-")</td>"
            html += "<td>\(result.throughput.map(Formatting.rate) ?? "-")</td>"
            html += "<td>\(result.counters?.totalRetransmissions.map(String.init) ?? "-")</td>"
            html += "<td>\(result.datagramsLost.map(String.init) ?? "-")</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private static func section(_ result: CaseResult, folder: String?) -> String {
        var html = "<section class=\"case\" id=\"\(anchor(result))\"><h3>\(Markup.escape(displayName(result))) \(verdict(result))</h3>\n"
        html += "<p class=\"facts\">\(Markup.escape(facts(result)))<br>logs: "
        html += ["server.log", "client.log"].map { "<a href=\"\(Markup.escape(link(to: "\(result.folder)/\($0)", from: folder)))\">\($0)</a>" }
            .joined(separator: " · ")
        html += " · <a href=\"\(Markup.escape(link(to: result.folder, from: folder)))\">case folder</a></p>\n"
        html += checksTable(result)
        let incorrect = Set(result.verified.incorrectCopies)
        let connect = result.counters?.connectTimes.values ?? []
        let client = TransferChart(
            times: result.clientTimes, connect: connect.count == result.clientTimes.count ? connect : [], incorrect: incorrect,
            average: result.clientAverage, color: Palette.client, label: "client time per transfer of \(displayName(result))")
        let server = TransferChart(
            times: result.serverTimes, incorrect: incorrect, average: result.serverAverage, color: Palette.server,
            label: "server time per transfer of \(displayName(result))")
        html += figure("client: time per transfer", chart: client)
        html += figure("server: time per transfer", chart: server)
        let unplaced = result.incorrect - result.verified.incorrectCopies.count
        if unplaced > 0 {
            html += "<p class=\"note\">\(unplaced) of the \(result.incorrect) incorrect copies are not marked: which transfers they "
                + "belong to is not known (\(Markup.escape(result.verified.problem ?? "fewer bytes reached the port than the identical copies hold")))."
                + "</p>\n"
        }
        return html + "</section>\n"
    }

    /// `tcp · clean link · buffer 4096 · 100 transfers · 0 incorrect · 41.2 MB/s · 3 retransmissions in 2 transfers · ...`
    static func facts(_ result: CaseResult) -> String {
        var parts = [result.transport, ComparisonSection.link(of: result), "buffer \(result.bufferSize)",
                     "\(result.repetitions) transfers", "\(result.incorrect) incorrect"]
        if let throughput = result.throughput { parts.append("\(Formatting.rate(throughput)) MB/s") }
        if let counters = result.counters {
            if let total = counters.totalRetransmissions, let transfers = counters.retransmittedTransfers {
                parts.append("\(total) retransmissions in \(transfers) transfers")
            }
            if let connect = counters.connect {
                parts.append("connect median \(Formatting.milliseconds(connect.medianMs)) ms")
            }
            if let roundTrip = counters.roundTrip {
                parts.append("round trip median \(Formatting.milliseconds(roundTrip.medianMs)) ms")
            }
            if let lost = counters.datagramsLost { parts.append("\(lost) datagrams lost") }
        }
        parts.append("\(Formatting.fixed(result.duration, decimals: 1)) s")
        return parts.joined(separator: " · ")
    }

    private static func figure(_ caption: String, chart: TransferChart) -> String {
        guard chart.times.count > 0 else {
            return "<figure><figcaption>\(caption)</figcaption><p>no times printed</p></figure>\n"
        }
        let histogram = chart.times.count > TransferChart.barLimit
        let shape = histogram ? " (histogram of \(chart.times.count) transfers)" : ""
        // The key names only what the chart draws.
        var keys = [(chart.color, histogram ? "transfers" : "transfer")]
        if !histogram && !chart.connect.isEmpty { keys.append((Palette.connect, "connect time (SYN to established), a tick")) }
        if chart.times.values.indices.contains(where: { chart.incorrect.contains($0 + 1) }) { keys.append((Palette.incorrect, "copy incorrect")) }
        if chart.average != nil { keys.append((Palette.average, "average (dashed)")) }
        let key = "<ul class=\"legend\">" + keys.map { "<li><span class=\"swatch\" style=\"background:\($0.0)\"></span>\($0.1)</li>" }
            .joined() + "</ul>"
        return "<figure><figcaption>\(caption)\(shape)</figcaption>\(chart.render())\(key)</figure>\n"
    }

    /// `path` as a link from a page in `folder`: relative when both are known, else as it is;
    /// each part percent-encoded (a folder named `try#2` must not end the link at `#`).
    static func link(to path: String, from folder: String?) -> String {
        let target = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        var parts = Array(target.dropFirst())
        var prefix = "/"
        if let folder {
            let base = URL(fileURLWithPath: folder).standardizedFileURL.pathComponents
            let common = zip(target, base).prefix { $0 == $1 }.count
            parts = Array(repeating: "..", count: base.count - common) + target.dropFirst(common)
            prefix = ""
        }
        let encoded = parts.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/", "?", "#", ";"])) ?? $0 }
        return parts.isEmpty ? "." : prefix + encoded.joined(separator: "/")
    }

    /// Every check of a case: status, name, points, detail and any quoted output.
    static func checksTable(_ result: CaseResult) -> String {
        var html = "<table class=\"checks\"><tr><th>check</th><th>result</th><th>points</th><th class=\"detail\">detail</th></tr>\n"
        for check in result.checks {
            let (css, word) = switch check.status {
            case .passed: ("pass", "pass")
            case .failed: ("fail", "FAIL")
            case .skipped: ("skip", "skipped")
            }
            html += "<tr><td>\(Markup.escape(check.name))</td><td class=\"\(css)\">\(word)</td>"
            html += "<td>\(ScoreReport.points(check.score))/\(ScoreReport.points(check.points))</td>"
            html += "<td class=\"detail\">\(Markup.escape(check.detail))"
            if !check.context.isEmpty { html += "<pre>\(Markup.escape(check.context.joined(separator: "\n")))</pre>" }
            html += "</td></tr>\n"
        }
        return html + "</table>\n"
    }
}
