import FerryCore
import Foundation

/// The cumulative distribution of per-transfer times of several cases on one shared logarithmic
/// axis (as Flent draws many runs): for each case, the share of its transfers (y) that took at
/// most a given time (x). A curve further right is slower; a long flat tail is a few slow transfers.
struct DistributionChart {
    struct Series {
        var name: String
        /// The per-transfer times.
        var times: TimeStatistics
        var color: String
    }

    var series: [Series]

    /// The most points drawn per curve: the times at evenly spaced shares, so a million transfers
    /// draw as cheaply as a thousand.
    static let pointLimit = 400

    static let width = 760.0, height = 260.0
    static let left = 62.0, right = 14.0, top = 10.0, bottom = 34.0

    func render() -> String {
        let plotWidth = Self.width - Self.left - Self.right
        let plotHeight = Self.height - Self.top - Self.bottom
        let scale = LogScale(spanning: series.filter { $0.times.count > 0 }.flatMap { [$0.times.minMs, $0.times.maxMs] })
        func x(_ value: Double) -> Double { Self.left + plotWidth * scale.fraction(value) }
        func y(_ share: Double) -> Double { Self.top + plotHeight * (1 - share) }
        var svg = SVG(width: Self.width, height: Self.height)
        svg.timeAxisAlongX(scale, left: Self.left, right: Self.width - Self.right, top: Self.top, bottom: y(0))
        for share in [0.0, 0.25, 0.5, 0.75, 1.0] {
            svg.line(x1: Self.left, y1: y(share), x2: Self.width - Self.right, y2: y(share), stroke: Palette.grid)
            svg.text("\(Int(share * 100))%", x: Self.left - 6, y: y(share) + 4, anchor: .end, fill: Palette.axis)
        }
        for entry in series where entry.times.count > 0 {
            let points = Self.curve(entry.times).map { (x($0.time), y($0.share)) }
            svg.polyline(points, stroke: entry.color, title: entry.name)
        }
        svg.text("time per transfer (log scale)", x: Self.left + plotWidth / 2, y: Self.height - 3, anchor: .middle, fill: Palette.axis)
        return svg.render(label: "share of transfers done within a time, per case", kind: "chart-cdf")
    }

    /// Steps of the empirical distribution: (time, share of transfers at most that time), at most
    /// `pointLimit` + 1 of them, from (fastest, 0) to (slowest, 1).
    static func curve(_ times: TimeStatistics) -> [(time: Double, share: Double)] {
        let ranked = times.ranked()
        guard ranked.count > 0 else { return [] }
        let steps = min(ranked.count, pointLimit)
        var points = [(ranked.value(atRank: 1), 0.0)]
        for step in 1...steps {
            let count = (ranked.count * step + steps - 1) / steps
            points.append((ranked.value(atRank: count), Double(count) / Double(ranked.count)))
        }
        return points
    }
}
