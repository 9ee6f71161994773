import FerryCore
import FerryTestSupport
import Foundation
import Testing

@Suite struct TimeStatisticsTests {
    @Test func upToTheLimitEveryValueIsKeptAndTheSummaryIsExact() {
        var random = SeededRandom(state: 3)
        let times = (0..<5000).map { _ in Double(Int.random(in: 1...100_000, using: &random)) / 1000 }
        let statistics = TimeStatistics(times)
        #expect(statistics.isExact && statistics.values == times)
        #expect(TimingSummary(statistics) == TimingSummary(milliseconds: times))
        #expect(statistics.sumMs == times.reduce(0, +))
    }

    @Test func pastTheLimitPercentilesComeFromBucketsWithinHalfAPercent() {
        var random = SeededRandom(state: 5)
        let count = TimeStatistics.exactLimit * 3
        // Log-uniform from 1 µs to 10 s, and a few zeros.
        let times = (0..<count).map { index in index % 1000 == 0 ? 0 : pow(10, Double.random(in: -3...4, using: &random)) }
        let statistics = TimeStatistics(times)
        #expect(!statistics.isExact && statistics.values.isEmpty && statistics.count == count)
        let exact = TimingSummary(milliseconds: times)
        let approximate = TimingSummary(statistics)
        #expect(approximate.minMs == exact.minMs && approximate.maxMs == exact.maxMs)
        #expect(approximate.averageMs == exact.averageMs)
        let pairs: [(Double, Double)] = [(approximate.medianMs, exact.medianMs), (approximate.p90Ms, exact.p90Ms), (approximate.p99Ms, exact.p99Ms)]
        for (got, wanted) in pairs {
            let error: Double = Swift.abs(got - wanted)
            #expect(error <= wanted * 0.0055, "\(got) vs \(wanted)")
        }
        #expect(statistics.ranked().weighted.reduce(0) { $0 + $1.count } == count)
    }

    @Test func figuresFarOutOfRangeNeitherTrapNorCount() {
        // Epoch nanoseconds printed as a time, a sum past Int64, a figure of 400 digits.
        var statistics = TimeStatistics()
        for _ in 0..<10_000 { statistics.add(1.7e18) }
        statistics.add(Double(String(repeating: "9", count: 400))!)
        #expect(statistics.count == 10_000 && statistics.maxMs == 1.7e18)
        #expect(Swift.abs(statistics.printedMean - 1.7e18) < 1e6)
        #expect(Formatting.microseconds(ofMilliseconds: 1e300) == .max && Formatting.microseconds(ofMilliseconds: .nan) == 0)
        #expect(TimingSummary(milliseconds: [1.7e18, 1.7e18]).averageMs == 1.7e18)
    }

    @Test func noTimesSummarizeToZeros() {
        let summary = TimingSummary(TimeStatistics())
        #expect(summary == TimingSummary(milliseconds: []))
        #expect(TimeStatistics().printedMean == 0)
    }
}
