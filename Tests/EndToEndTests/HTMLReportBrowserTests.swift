import FerryCore
import FerryRunner
import FerryTestSupport
import Foundation
import Testing

extension NamespaceSuites {
    /// The HTML report of a real run, opened in a real browser (headless chromium): the page is
    /// not blank and holds the comparison, the shared distribution chart and every case's charts,
    /// with incorrect copies marked where the run had some. With `FERRY_SCREENSHOTS=folder` it
    /// also leaves the screenshots docs/lab.md shows there (`make screenshots`).
    @Suite struct HTMLReportBrowserTests {
        @Test func theReportRendersWithItsCharts() throws {
            if HeadlessBrowser.required { try #require(HeadlessBrowser.unavailableReason == nil, "\(HeadlessBrowser.skipComment)") }
            guard HeadlessBrowser.unavailableReason == nil else {
                print("skipped: \(HeadlessBrowser.skipComment)")
                return
            }
            let folder = try TemporaryDirectory("ferry-browser")
            defer { folder.remove() }
            let html = folder.file("report.html"), json = folder.file("report.json")
            // The lab's scenario, smaller: three protocols at 5% loss, 30 transfers each.
            let output = try RunnerInvocation(
                ["\(repositoryRoot())/scenarios/tcp-vs-udp.yaml", "--filter", "*loss 5%*", "--set", "transfer.repetitions=30",
                 "--html", html, "--json", json],
                workDirectory: folder.file("work"), in: folder.path)
            #expect(output.status == .exited(0), "\(output.all)")

            let dom = try HeadlessBrowser.dom(of: html)
            #expect(dom.contains("<h2>Comparison</h2>"))
            #expect(dom.components(separatedBy: "class=\"chart-cdf\"").count - 1 == 1)
            #expect(dom.components(separatedBy: "class=\"chart-times\"").count - 1 == 6, "two charts per case")
            // Each case's section marks exactly its incorrect copies in red.
            let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
            let cases = try #require(report["cases"] as? [[String: Any]])
            #expect(cases.count == 3)
            let sections = dom.components(separatedBy: "<section class=\"case\"").dropFirst()
            #expect(sections.count == cases.count)
            // The scenario requires udp to lose copies at 5% loss, so some case must show red.
            #expect(cases.contains { $0["protocol"] as? String == "udp" && ($0["incorrect"] as? Int ?? 0) > 0 })
            for (entry, section) in zip(cases, sections) {
                let incorrect = entry["incorrect"] as? Int ?? -1
                let red = section.components(separatedBy: "class=\"incorrect\"").count - 1
                // Two charts (client, server) each mark every incorrect copy.
                #expect(red == 2 * incorrect, "\(entry["name"] ?? "?"): \(incorrect) incorrect, \(red) red bars")
            }
            #expect(cases.contains { $0["protocol"] as? String == "tcp" && $0["retransmissions"] is Int })

            // Not blank: the report's screenshot holds far more than a blank page's of the same size.
            let blank = try folder.write("blank.html", bytes: Array("<!DOCTYPE html><html><body></body></html>".utf8))
            let shots = ProcessInfo.processInfo.environment["FERRY_SCREENSHOTS"] ?? folder.path
            try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
            try HeadlessBrowser.screenshot(of: blank, to: folder.file("blank.png"))
            try HeadlessBrowser.screenshot(of: html, to: "\(shots)/report-comparison.png")
            let blankSize = try #require(FileManager.default.attributesOfItem(atPath: folder.file("blank.png"))[.size] as? Int)
            let shotSize = try #require(FileManager.default.attributesOfItem(atPath: "\(shots)/report-comparison.png")[.size] as? Int)
            #expect(shotSize > 20 * blankSize, "report \(shotSize) bytes, blank page \(blankSize) bytes")

            // The charts of the tcp and the udp case, each on a page of its own (the checks left out).
            let page = try String(contentsOfFile: html, encoding: .utf8)
            let head = try #require(page.components(separatedBy: "<body>").first) + "<body>"
            for (index, name) in [(0, "tcp"), (1, "udp")] where index < sections.count {
                var section = "<section class=\"case\"" + sections[sections.startIndex + index]
                section = section.components(separatedBy: "</section>")[0] + "</section>"
                if let start = section.range(of: "<table class=\"checks\">"), let end = section.range(of: "</table>", range: start.upperBound..<section.endIndex) {
                    section.removeSubrange(start.lowerBound..<end.upperBound)
                }
                let casePage = try folder.write("\(name).html", bytes: Array((head + section + "</body></html>").utf8))
                try HeadlessBrowser.screenshot(of: casePage, to: "\(shots)/report-\(name)-case.png", height: 780)
            }
        }
    }
}
