/// Average and spread of per-transfer times, in milliseconds.
///
/// Percentiles use the nearest-rank method: p90 is the smallest time that at least 90% of
/// transfers did not exceed. All values are 0 for an empty list.
public struct TimingSummary: Codable, Equatable, Sendable {
    public var averageMs: Double
    public var minMs: Double
    public var medianMs: Double
    public var p90Ms: Double
    public var p99Ms: Double
    public var maxMs: Double

    enum CodingKeys: String, CodingKey {
        case averageMs = "average_ms", minMs = "min_ms", medianMs = "median_ms"
        case p90Ms = "p90_ms", p99Ms = "p99_ms", maxMs = "max_ms"
    }

    public init(milliseconds times: [Double]) {
        let ranked = TimeStatistics.Ranked(sorted: times.sorted())
        self.init(averageMs: Self.printedMean(times), minMs: ranked.value(atRank: 1), maxMs: ranked.value(atRank: ranked.count), ranked: ranked)
    }

    /// The summary of times given by rank, with their exact mean (as printed), minimum and maximum.
    init(averageMs: Double, minMs: Double, maxMs: Double, ranked: TimeStatistics.Ranked) {
        /// Nearest rank: the smallest time that at least `percent`% of the transfers did not exceed.
        func rank(_ percent: Int) -> Double { ranked.value(atRank: (percent * ranked.count + 99) / 100) }
        self.averageMs = averageMs
        self.minMs = minMs
        medianMs = rank(50)
        p90Ms = rank(90)
        p99Ms = rank(99)
        self.maxMs = maxMs
    }

    /// The mean of times as printed (whole microseconds), so the printed average is exactly
    /// the mean of the printed per-transfer figures.
    public static func printedMean(_ times: [Double]) -> Double {
        guard !times.isEmpty else { return 0 }
        let total = times.reduce(0.0) { $0 + Formatting.wholeMicroseconds(ofMilliseconds: $1) }
        return total / 1000 / Double(times.count)
    }
}
