/// Number formats the required lines use, built from integers so they never depend on locale.
public enum Formatting {
    /// `1st`, `2nd`, `3rd`, `4th`, `11th`, `12th`, `13th`, `21st`, `101st`, `111th`, `112th`.
    public static func ordinal(_ n: Int) -> String {
        let lastTwo = n % 100
        let suffix: String
        if (11...13).contains(lastTwo) {
            suffix = "th"
        } else {
            switch n % 10 {
            case 1: suffix = "st"
            case 2: suffix = "nd"
            case 3: suffix = "rd"
            default: suffix = "th"
            }
        }
        return "\(n)\(suffix)"
    }

    /// Milliseconds rounded half up to a whole number of microseconds.
    /// Saturates at Int64's range; not a number is 0 (a figure a program printed may be anything).
    public static func microseconds(ofMilliseconds ms: Double) -> Int64 {
        let value = wholeMicroseconds(ofMilliseconds: ms)
        guard value.isFinite else { return value.isNaN ? 0 : (value > 0 ? .max : .min) }
        return value >= 9.2e18 ? .max : value <= -9.2e18 ? .min : Int64(value)
    }

    /// Milliseconds rounded half up to a whole number of microseconds, as a `Double`: sums of
    /// these are exact up to 2^53 µs (285 years) and never trap.
    public static func wholeMicroseconds(ofMilliseconds ms: Double) -> Double {
        (ms * 1000).rounded(.toNearestOrAwayFromZero)
    }

    /// A value with exactly `decimals` decimals: `fixed(0.4125, 3)` is `0.413`, `fixed(-0.05, 1)`
    /// is `-0.1` (halves rounded away from zero).
    public static func fixed(_ value: Double, decimals: Int) -> String {
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        // Beyond what 64 bits hold (a program printing nanoseconds since 1970): as Swift writes it.
        guard value.isFinite, abs(value) * Double(scale) < 9e18 else { return value.description }
        let scaled = Int64((abs(value) * Double(scale)).rounded(.toNearestOrAwayFromZero))
        let sign = value < 0 && scaled != 0 ? "-" : ""
        let whole = scaled / scale
        guard decimals > 0 else { return sign + String(whole) }
        let fraction = String(scaled % scale)
        return "\(sign)\(whole).\(String(repeating: "0", count: decimals - fraction.count))\(fraction)"
    }

    /// Milliseconds with three decimals, as the required lines print them: `0.412`.
    public static func milliseconds(_ ms: Double) -> String {
        fixed(ms, decimals: 3)
    }

    /// A rate such as MB/s: `1234`, `41.2`, `0.57` (whole numbers from 100, one decimal from 10).
    public static func rate(_ value: Double) -> String {
        fixed(value, decimals: value >= 100 ? 0 : value >= 10 ? 1 : 2)
    }
}
