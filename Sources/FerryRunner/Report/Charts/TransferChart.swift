import FerryCore
import Foundation

/// One side's times per transfer on a logarithmic axis, so that one slow transfer (a lost SYN
/// costs 1 s) does not flatten the others: a bar per transfer up to `barLimit` transfers, a
/// histogram of the times beyond. Incorrect copies are red, the average is a dashed line, and
/// for the tcp client a light tick on each bar marks how long its `connect` took (on the same
/// axis: a tick at the top of the bar is a transfer that was nearly all handshake). A bar never
/// shrinks below 2 px, so a transfer timed at 0 ms (whole-millisecond clocks) still shows.
struct TransferChart {
    /// The times per transfer: every value in order (index 0 is transfer 1) up to
    /// `TimeStatistics.exactLimit` transfers, a histogram beyond.
    var times: TimeStatistics
    /// tcp client: the handshake's milliseconds per transfer (same order); empty otherwise.
    var connect: [Double] = []
    /// Transfers (1-based) whose copy differs or is missing.
    var incorrect: Set<Int> = []
    /// The average to draw; nil draws none.
    var average: Double?
    var color: String
    /// What the chart shows, for its accessible name.
    var label: String

    /// Up to this many transfers get a bar each.
    static let barLimit = 500

    static let width = 760.0, height = 230.0
    static let left = 62.0, right = 14.0, top = 10.0, bottom = 34.0
    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { height - top - bottom }

    func render() -> String {
        times.count > Self.barLimit ? histogram() : bars()
    }

    /// The y position of `value` on `scale`.
    private static func y(_ value: Double, _ scale: LogScale) -> Double {
        top + plotHeight * (1 - scale.fraction(value))
    }

    /// Grid lines and labels of a log axis drawn vertically (times on y).
    private static func timeAxisOnY(_ scale: LogScale, into svg: inout SVG) {
        for tick in scale.ticks {
            let y = y(tick.value, scale)
            svg.line(x1: left, y1: y, x2: width - right, y2: y, stroke: Palette.grid)
            if tick.labelled { svg.text(LogScale.label(tick.value), x: left - 6, y: y + 4, anchor: .end, fill: Palette.axis) }
        }
        svg.line(x1: left, y1: top, x2: left, y2: top + plotHeight, stroke: Palette.axis)
    }

    private func bars() -> String {
        let values = times.values
        let scale = LogScale(spanning: values + connect)
        var svg = SVG(width: Self.width, height: Self.height)
        Self.timeAxisOnY(scale, into: &svg)
        let slot = Self.plotWidth / Double(max(values.count, 1))
        let bottomY = Self.top + Self.plotHeight
        for (index, value) in values.enumerated() {
            let n = index + 1
            let x = Self.left + Double(index) * slot
            let width = Self.barWidth(slot)
            let wrong = incorrect.contains(n)
            let y = min(Self.y(value, scale), bottomY - 2)
            var title = "transfer \(n): \(Formatting.milliseconds(value)) ms"
            if index < connect.count { title += " (connect \(Formatting.milliseconds(connect[index])) ms)" }
            if wrong { title += ", copy incorrect" }
            svg.rect(x: x, y: y, width: width, height: bottomY - y, fill: wrong ? Palette.incorrect : color, title: title,
                     className: wrong ? "incorrect" : "transfer")
            if index < connect.count {
                let mark = min(Self.y(connect[index], scale), bottomY - 2)
                svg.rect(x: x, y: mark - 1, width: width, height: 2, fill: Palette.connect,
                         title: "transfer \(n): connect \(Formatting.milliseconds(connect[index])) ms", className: "connect")
            }
        }
        drawAverageAcross(scale, into: &svg)
        for n in Self.transferTicks(times.count) {
            let x = Self.left + Double(n - 1) * slot + Self.barWidth(slot) / 2
            svg.line(x1: x, y1: bottomY, x2: x, y2: bottomY + 4, stroke: Palette.axis)
            svg.text(String(n), x: x, y: bottomY + 16, anchor: .middle, fill: Palette.axis)
        }
        svg.text("transfer", x: Self.left + Self.plotWidth / 2, y: Self.height - 3, anchor: .middle, fill: Palette.axis)
        return svg.render(label: label, kind: "chart-times")
    }

    /// A bar's width in a slot: a gap between bars while there is room.
    static func barWidth(_ slot: Double) -> Double { max(slot * 0.8, 0.5) }

    private func drawAverageAcross(_ scale: LogScale, into svg: inout SVG) {
        guard let average, average > 0 else { return }
        let y = Self.y(average, scale)
        svg.line(x1: Self.left, y1: y, x2: Self.width - Self.right, y2: y, stroke: Palette.average, dashed: true, width: 1.2)
        svg.text("average \(Formatting.milliseconds(average)) ms", x: Self.width - Self.right - 4, y: y - 4, anchor: .end,
                 fill: Palette.average)
    }

    /// About six round transfer numbers to label, always the first and the last, none twice.
    static func transferTicks(_ count: Int) -> [Int] {
        guard count > 1 else { return count == 1 ? [1] : [] }
        let rough = Double(count) / 6
        let magnitude = pow(10, log10(rough).rounded(.down))
        let step = max(Int([1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? rough), 1)
        var ticks = [1]
        // Multiples of the step, none crowding the last.
        for n in stride(from: step, to: count, by: step) where n > 1 && Double(count - n) > Double(step) * 0.4 {
            ticks.append(n)
        }
        return ticks + [count]
    }

    /// Bins per decade of the histogram.
    static let binsPerDecade = 10

    private func histogram() -> String {
        let scale = LogScale(spanning: [times.minMs, times.maxMs])
        let binCount = (scale.high - scale.low) * Self.binsPerDecade
        var all = [Int](repeating: 0, count: binCount)
        var wrong = [Int](repeating: 0, count: binCount)
        func bin(_ value: Double) -> Int { min(Int(scale.fraction(value) * Double(binCount)), binCount - 1) }
        if times.isExact {
            for (index, value) in times.values.enumerated() {
                all[bin(value)] += 1
                if incorrect.contains(index + 1) { wrong[bin(value)] += 1 }
            }
        } else {
            // Past `TimeStatistics.exactLimit` transfers, from its buckets (1/64 of a doubling each):
            // which transfer took which time is not kept, so incorrect copies are not marked.
            for (value, count) in times.ranked().weighted { all[bin(value)] += count }
        }
        let tallest = Double(all.max() ?? 1)
        var svg = SVG(width: Self.width, height: Self.height)
        let bottomY = Self.top + Self.plotHeight
        func x(_ value: Double) -> Double { Self.left + Self.plotWidth * scale.fraction(value) }
        svg.timeAxisAlongX(scale, left: Self.left, right: Self.width - Self.right, top: Self.top, bottom: bottomY)
        let slot = Self.plotWidth / Double(binCount)
        for bin in 0..<binCount where all[bin] > 0 {
            let low = pow(10, Double(scale.low) + Double(bin) / Double(Self.binsPerDecade))
            let high = low * pow(10, 1 / Double(Self.binsPerDecade))
            let height = Double(all[bin]) / tallest * Self.plotHeight
            // The first bin also holds what lies below the axis (times printed as 0).
            let range = bin == 0 ? "up to \(LogScale.label(high))" : "\(LogScale.label(low)) – \(LogScale.label(high))"
            svg.rect(x: Self.left + Double(bin) * slot + 0.5, y: bottomY - height, width: slot - 1, height: height, fill: color,
                     title: "\(range): \(all[bin]) \(all[bin] == 1 ? "transfer" : "transfers")", className: "bin")
            if wrong[bin] > 0 {
                let part = Double(wrong[bin]) / tallest * Self.plotHeight
                svg.rect(x: Self.left + Double(bin) * slot + 0.5, y: bottomY - part, width: slot - 1, height: part,
                         fill: Palette.incorrect, title: "\(range): \(wrong[bin]) incorrect \(wrong[bin] == 1 ? "copy" : "copies")",
                         className: "incorrect")
            }
        }
        svg.line(x1: Self.left, y1: bottomY, x2: Self.width - Self.right, y2: bottomY, stroke: Palette.axis)
        svg.line(x1: Self.left, y1: Self.top, x2: Self.left, y2: bottomY, stroke: Palette.axis)
        svg.text(String(Int(tallest)), x: Self.left - 6, y: Self.top + 8, anchor: .end, fill: Palette.axis)
        svg.text("0", x: Self.left - 6, y: bottomY, anchor: .end, fill: Palette.axis)
        svg.text("transfers", x: 4, y: Self.top + Self.plotHeight / 2, fill: Palette.axis)
        if let average, average > 0 {
            svg.line(x1: x(average), y1: Self.top, x2: x(average), y2: bottomY, stroke: Palette.average, dashed: true, width: 1.2)
            svg.text("average \(Formatting.milliseconds(average)) ms", x: x(average) + 4, y: Self.top + 10, fill: Palette.average)
        }
        svg.text("time per transfer (log scale)", x: Self.left + Self.plotWidth / 2, y: Self.height - 3, anchor: .middle,
                 fill: Palette.axis)
        return svg.render(label: label, kind: "chart-histogram")
    }
}
