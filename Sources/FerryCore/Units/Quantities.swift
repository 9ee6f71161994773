/// Parsers for quantities with units, shared by the command lines and the scenario files.
/// Each returns nil for text it does not accept; the caller says where the text came from.
public enum Quantities {
    /// Durations: `500ms`, `5s`, `2m`, `1h`, `1.5s`, `250us`; a bare number is seconds. Returns nanoseconds.
    public static func duration(_ text: String) -> UInt64? {
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        return scaled(text, units: units, bare: 1e9)
    }

    /// Sizes in bytes: `4096`, `64KiB`, `1MiB`, `16GiB`, `1TiB`, also `64KB`/`1MB` (powers of ten) and `512B`.
    public static func size(_ text: String) -> UInt64? {
        let units: [(String, Double)] = [
            ("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("TiB", 1_099_511_627_776),
            ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("B", 1),
        ]
        return scaled(text, units: units, bare: 1)
    }

    /// Percentages: `5%`, `0.1%`. Returns the percent value (5 for `5%`), 0...100.
    public static func percentage(_ text: String) -> Double? {
        let trimmed = text.trimmingWhitespace()
        guard trimmed.hasSuffix("%"), let value = decimal(String(trimmed.dropLast())), value <= 100 else { return nil }
        return value
    }

    /// Link rates for tbf: `100mbit`, `1gbit`, `500kbit`, `64kbps`. Returns bits per second.
    public static func rate(_ text: String) -> UInt64? {
        let units: [(String, Double)] = [
            ("kbit", 1e3), ("mbit", 1e6), ("gbit", 1e9), ("bit", 1),
            ("kbps", 8e3), ("mbps", 8e6), ("gbps", 8e9), ("bps", 8),
        ]
        return scaled(text.lowercased(), units: units, bare: nil)
    }

    /// A duration as people write it, in the largest unit that divides it: `200ms`, `5s`, `2m`.
    public static func durationText(_ nanoseconds: UInt64) -> String {
        text(nanoseconds, units: [("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)], base: "ns")
    }

    /// A size as people write it: `16GiB`, `64KiB`, `1400`.
    public static func sizeText(_ bytes: UInt64) -> String {
        text(bytes, units: [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)], base: "")
    }

    /// A rate as people write it: `10gbit`, `500mbit`.
    public static func rateText(_ bitsPerSecond: UInt64) -> String {
        text(bitsPerSecond, units: [("gbit", 1_000_000_000), ("mbit", 1_000_000), ("kbit", 1_000)], base: "bit")
    }

    private static func text(_ value: UInt64, units: [(String, UInt64)], base: String) -> String {
        for (suffix, factor) in units where value >= factor && value % factor == 0 { return "\(value / factor)\(suffix)" }
        return "\(value)\(base)"
    }

    private static func scaled(_ text: String, units: [(String, Double)], bare: Double?) -> UInt64? {
        let trimmed = text.trimmingWhitespace()
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            let number = String(trimmed.dropLast(suffix.count)).trimmingWhitespace()
            return decimal(number).flatMap { exact($0 * factor) }
        }
        guard let bare, let value = decimal(trimmed) else { return nil }
        return exact(value * bare)
    }

    /// A plain non-negative decimal number: digits, optionally one point and more digits.
    private static func decimal(_ text: String) -> Double? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            text.filter({ $0 == "." }).count <= 1, text.first != ".", text.last != "."
        else { return nil }
        return Double(text)
    }

    private static func exact(_ value: Double) -> UInt64? {
        guard value >= 0, value < 1.8e19 else { return nil }
        return UInt64(value.rounded())
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
