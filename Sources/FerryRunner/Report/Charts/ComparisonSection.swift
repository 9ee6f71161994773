import FerryCore

/// The report's first section: every case at a glance, by protocol (rows) and link (columns),
/// each cell with the share of incorrect copies (a red bar when any), the median time per
/// transfer and the throughput; then the distribution of per-transfer times of all cases on one
/// shared logarithmic axis. On tcp-vs-udp this shows at once that udp lost copies where tcp and
/// rudp did not, and what their reliability cost in time.
enum ComparisonSection {
    static func render(_ results: [CaseResult]) -> String {
        var html = "<section class=\"comparison\"><h2>Comparison</h2>\n"
        html += "<p>Incorrect copies (differing or missing, by the runner's own verification), the median time per transfer "
            + "and the throughput of every case, by protocol and link.</p>\n"
        html += grid(results)
        let series = results.enumerated().map { index, result in
            DistributionChart.Series(name: HTMLReport.displayName(result), times: times(of: result), color: Palette.forCase(index))
        }
        if series.contains(where: { $0.times.count > 0 }) {
            html += "<figure><figcaption>Time per transfer, all cases: the share of transfers done within a time</figcaption>"
            html += DistributionChart(series: series).render()
            html += "<ul class=\"legend\">"
            for entry in series {
                html += "<li><span class=\"swatch\" style=\"background:\(entry.color)\"></span>\(Markup.escape(entry.name))</li>"
            }
            html += "</ul></figure>\n"
        }
        return html + "</section>\n"
    }

    /// The times a case's comparison uses: the client's, or the server's when the client printed none.
    static func times(of result: CaseResult) -> TimeStatistics {
        result.clientTimes.count == 0 ? result.serverTimes : result.clientTimes
    }

    /// The link in words, as the column heading.
    static func link(of result: CaseResult) -> String { result.impairment ?? "clean link" }

    private static func grid(_ results: [CaseResult]) -> String {
        let protocols = ordered(results.map(\.transport))
        let links = ordered(results.map(link(of:)))
        var html = "<table class=\"grid\"><tr><th>protocol</th>"
        html += links.map { "<th>\(Markup.escape($0))</th>" }.joined() + "</tr>\n"
        for transport in protocols {
            html += "<tr><th>\(Markup.escape(transport))</th>"
            for column in links {
                let cases = results.filter { $0.transport == transport && link(of: $0) == column }
                if cases.isEmpty {
                    html += "<td class=\"none\">–</td>"
                    continue
                }
                let bad = cases.contains { $0.incorrect > 0 }
                html += "<td class=\"\(bad ? "lossy" : "exact")\">" + cases.map(cell).joined(separator: "<hr>") + "</td>"
            }
            html += "</tr>\n"
        }
        return html + "</table>\n"
    }

    private static func cell(_ result: CaseResult) -> String {
        let rate = Double(result.incorrect) / Double(max(result.repetitions, 1))
        var html = "<a href=\"#\(HTMLReport.anchor(result))\">\(Markup.escape(HTMLReport.displayName(result)))</a> \(HTMLReport.verdict(result))"
        html += "<div class=\"rate\" title=\"error rate\"><span style=\"width:\(SVG.number(rate * 100))%\"></span></div>"
        html += "<span class=\"incorrect-count\">\(result.incorrect)/\(result.repetitions) incorrect "
            + "(\(Formatting.fixed(rate * 100, decimals: 2))%)</span>"
        let times = times(of: result)
        if times.count > 0 {
            html += "<br>median \(Formatting.milliseconds(TimingSummary(times).medianMs)) ms"
        }
        if let throughput = result.throughput { html += " · \(Formatting.rate(throughput)) MB/s" }
        return html
    }

    /// Distinct values in the order they first appear.
    private static func ordered(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}
