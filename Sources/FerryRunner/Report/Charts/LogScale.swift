import Foundation
import FerryCore

/// A logarithmic axis for times in milliseconds: whole decades from below the smallest value to
/// above the largest, ticks at 1, 2 and 5 of each decade, labels in the unit that reads best
/// (`20 µs`, `1 ms`, `1.5 s`). Values at or below 0 sit on the axis' bottom.
struct LogScale: Equatable {
    /// The decades the axis spans: 10^low ... 10^high milliseconds.
    let low: Int
    let high: Int

    /// An axis spanning `values` (ignoring values ≤ 0), at least one decade; 1 µs ... 1 ms for none.
    init(spanning values: some Sequence<Double>) {
        var smallest = Double.infinity
        var largest = 0.0
        for value in values where value > 0 && value.isFinite {
            smallest = min(smallest, value)
            largest = max(largest, value)
        }
        guard largest > 0 else {
            self.init(low: -3, high: 0)
            return
        }
        let low = Int(log10(smallest).rounded(.down))
        self.init(low: low, high: max(Int(log10(largest).rounded(.up)), low + 1))
    }

    init(low: Int, high: Int) {
        self.low = low
        self.high = max(high, low + 1)
    }

    /// Where `value` lies on the axis, 0 (bottom) ... 1 (top).
    func fraction(_ value: Double) -> Double {
        guard value > 0 else { return 0 }
        return min(max((log10(value) - Double(low)) / Double(high - low), 0), 1)
    }

    /// The ticks: every decade labelled; 2 and 5 labelled as well when the axis spans at most
    /// three decades (otherwise drawn unlabelled).
    var ticks: [(value: Double, labelled: Bool)] {
        var ticks: [(Double, Bool)] = []
        let dense = high - low <= 3
        for decade in low...high {
            let base = pow(10, Double(decade))
            ticks.append((base, true))
            if decade < high {
                ticks.append((2 * base, dense))
                ticks.append((5 * base, dense))
            }
        }
        return ticks
    }

    /// A time in milliseconds with its unit: `50 µs`, `2 ms`, `1.5 s`.
    static func label(_ ms: Double) -> String {
        func trimmed(_ value: Double) -> String {
            let text = Formatting.fixed(value, decimals: value < 10 ? 1 : 0)
            return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        }
        if ms < 1 { return "\(trimmed(ms * 1000)) µs" }
        if ms < 1000 { return "\(trimmed(ms)) ms" }
        return "\(trimmed(ms / 1000)) s"
    }
}
