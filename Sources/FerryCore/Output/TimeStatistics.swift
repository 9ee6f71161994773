import Foundation

/// Per-transfer times summarized as they arrive, in memory that does not grow with the number of
/// transfers beyond `exactLimit`.
///
/// Up to `exactLimit` times every value is kept, in arrival order, and the summary is exact (the
/// same as `TimingSummary(milliseconds:)` of the list). Past it the values are dropped and the
/// percentiles come from a histogram of `bucketsPerOctave` logarithmic buckets per doubling: each
/// is the middle of its bucket, within 0.55% of the exact value, and never outside the exact
/// minimum and maximum. Count, minimum, maximum and the mean (of the times as printed, whole
/// microseconds) stay exact at any count.
public struct TimeStatistics: Sendable, Equatable {
    /// The most values kept one by one (800 KB).
    public static let exactLimit = 100_000
    /// Buckets per doubling of the time: adjacent bucket edges differ by 2^(1/64), 1.09%.
    static let bucketsPerOctave = 64.0
    /// The lowest bucket edge, in milliseconds (0.1 µs); smaller times share bucket 0.
    static let lowestMs = 1e-4
    /// 40 doublings above the lowest edge: up to 1.1 × 10^8 ms (30 hours).
    static let bucketCount = 1 + 40 * 64

    /// How many times were taken.
    public private(set) var count = 0
    /// The smallest and largest time (0 without times).
    public private(set) var minMs = 0.0
    public private(set) var maxMs = 0.0
    /// The sum of the times rounded to whole microseconds, as printed.
    private var microseconds = 0.0
    /// The sum of the times as read, in arrival order.
    public private(set) var sumMs = 0.0
    /// Every time in arrival order (index 0 is the first), while `count <= exactLimit`.
    public private(set) var values: [Double] = []
    /// The histogram, made when the values are dropped.
    private var buckets: [Int] = []

    /// No times yet.
    public init() {}

    /// The statistics of `times`, in order.
    public init(_ times: [Double]) {
        for time in times { add(time) }
    }

    /// Takes one more time. One that is not finite (a figure of 400 digits) is left out.
    public mutating func add(_ ms: Double) {
        guard ms.isFinite else { return }
        minMs = count == 0 ? ms : min(minMs, ms)
        maxMs = count == 0 ? ms : max(maxMs, ms)
        count += 1
        microseconds += Formatting.wholeMicroseconds(ofMilliseconds: ms)
        sumMs += ms
        if buckets.isEmpty {
            values.append(ms)
            if values.count > Self.exactLimit {
                buckets = [Int](repeating: 0, count: Self.bucketCount)
                for value in values { buckets[Self.bucket(value)] += 1 }
                values = []
            }
        } else {
            buckets[Self.bucket(ms)] += 1
        }
    }

    /// True while every value is kept (`values` holds them all).
    public var isExact: Bool { buckets.isEmpty }

    /// The mean of the times as printed (whole microseconds), as Ferry's own sides compute the
    /// average they print. 0 without times.
    public var printedMean: Double { count == 0 ? 0 : microseconds / 1000 / Double(count) }

    static func bucket(_ ms: Double) -> Int {
        guard ms > lowestMs else { return 0 }
        return min(1 + Int(log2(ms / lowestMs) * bucketsPerOctave), bucketCount - 1)
    }

    /// The middle of bucket `index` on the logarithmic axis, within the exact minimum and maximum.
    private func middle(_ index: Int) -> Double {
        let value = index == 0 ? minMs : Self.lowestMs * pow(2, (Double(index) - 0.5) / Self.bucketsPerOctave)
        return Swift.min(Swift.max(value, minMs), maxMs)
    }

    /// The times in ascending order, to ask for values by rank.
    public func ranked() -> Ranked {
        isExact ? Ranked(sorted: values.sorted()) : Ranked(histogram: buckets.enumerated().filter { $0.element > 0 }.map { (middle($0.offset), $0.element) })
    }

    /// Values by rank: the sorted times, or the histogram's (value, count) steps.
    public struct Ranked {
        private var sorted: [Double] = []
        private var steps: [(value: Double, count: Int)] = []
        private var cumulative: [Int] = []

        init(sorted: [Double]) { self.sorted = sorted }

        init(histogram steps: [(Double, Int)]) {
            self.steps = steps.map { (value: $0.0, count: $0.1) }
            var total = 0
            cumulative = steps.map { total += $0.1; return total }
        }

        /// How many times there are.
        public var count: Int { sorted.isEmpty ? (cumulative.last ?? 0) : sorted.count }

        /// The `rank`-th smallest time (1-based, clamped to 1...count); 0 without times.
        public func value(atRank rank: Int) -> Double {
            guard count > 0 else { return 0 }
            let rank = Swift.min(Swift.max(rank, 1), count)
            if !sorted.isEmpty { return sorted[rank - 1] }
            var low = 0, high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] >= rank { high = mid } else { low = mid + 1 }
            }
            return steps[low].value
        }

        /// (value, how many transfers took it): each time once when exact, else each bucket.
        public var weighted: [(value: Double, count: Int)] {
            sorted.isEmpty ? steps : sorted.map { ($0, 1) }
        }
    }
}

extension TimingSummary {
    /// The summary of `statistics`: exact while it keeps every value, from its histogram after.
    public init(_ statistics: TimeStatistics) {
        guard !statistics.isExact else {
            self.init(milliseconds: statistics.values)
            return
        }
        self.init(averageMs: statistics.printedMean, minMs: statistics.minMs, maxMs: statistics.maxMs, ranked: statistics.ranked())
    }
}

extension TimeStatistics: ExpressibleByArrayLiteral {
    /// The statistics of the listed times, in order.
    public init(arrayLiteral times: Double...) { self.init(times) }
}
