import FerryCore
import Testing

@Suite struct FormattingTests {
    @Test(arguments: [
        (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (10, "10th"), (11, "11th"), (12, "12th"), (13, "13th"),
        (21, "21st"), (22, "22nd"), (23, "23rd"), (100, "100th"), (101, "101st"), (111, "111th"), (112, "112th"),
        (113, "113th"), (1001, "1001st"), (0, "0th"), (-1, "-1th"), (-11, "-11th"), (-102, "-102th"),
        (Int.max, "9223372036854775807th"), (Int.min, "-9223372036854775808th"),
    ])
    func ordinals(n: Int, expected: String) {
        #expect(Formatting.ordinal(n) == expected)
    }

    @Test func millisecondsHaveThreeDecimals() {
        #expect(Formatting.milliseconds(0) == "0.000")
        #expect(Formatting.milliseconds(0.5) == "0.500")
        #expect(Formatting.milliseconds(0.0004) == "0.000")
        #expect(Formatting.milliseconds(0.0006) == "0.001")
        #expect(Formatting.milliseconds(12.3456) == "12.346")
        #expect(Formatting.milliseconds(195.04) == "195.040")
        #expect(Formatting.milliseconds(1234567.25) == "1234567.250")
    }

    /// Negative values keep their sign (a benchmark difference can be below zero); a value that
    /// rounds to zero has none.
    @Test func negativeValuesKeepTheirSign() {
        #expect(Formatting.fixed(-0.3, decimals: 1) == "-0.3")
        #expect(Formatting.fixed(-1.25, decimals: 1) == "-1.3")
        #expect(Formatting.fixed(-0.04, decimals: 1) == "0.0")
        #expect(Formatting.fixed(-2, decimals: 0) == "-2")
        #expect(Formatting.fixed(2.05, decimals: 2) == "2.05")
    }

    @Test func requiredLinesReadExactly() {
        #expect(Messages.serverStarting.line(file: "sample.txt", n: 1) == "I am starting receiving file \"sample.txt\" for the 1st time")
        #expect(Messages.serverTime.line(file: "sample.txt", n: 22, ms: "0.412")
            == "The time used in millisecond to receive \"sample.txt\" for 22nd time is: 0.412")
        #expect(Messages.clientTime.line(file: "a.bin", n: 3, ms: "1.000") == "The time used in millisecond to send \"a.bin\" for 3rd time is: 1.000")
        #expect(Messages.serverIncorrect(0, of: 100) == "Incorrect transfers: 0 of 100 (error rate 0.00%)")
        #expect(Messages.serverIncorrect(1, of: 3) == "Incorrect transfers: 1 of 3 (error rate 33.33%)")
        #expect(Messages.serverIncorrect(100, of: 100) == "Incorrect transfers: 100 of 100 (error rate 100.00%)")
    }
}

@Suite struct TimingSummaryTests {
    @Test func nearestRankPercentiles() {
        let summary = TimingSummary(milliseconds: (1...100).map(Double.init).reversed())
        #expect(summary.minMs == 1)
        #expect(summary.medianMs == 50)
        #expect(summary.p90Ms == 90)
        #expect(summary.p99Ms == 99)
        #expect(summary.maxMs == 100)
        #expect(summary.averageMs == 50.5)
    }

    @Test func averageIsTheMeanOfPrintedTimes() {
        #expect(TimingSummary.printedMean([0.001, 0.002]) == 0.0015)
        #expect(TimingSummary(milliseconds: [0.1004, 0.1004]).averageMs == 0.1)
    }

    @Test func emptyListIsAllZero() {
        #expect(TimingSummary(milliseconds: []) == TimingSummary(milliseconds: [0]))
    }
}

@Suite struct QuantitiesTests {
    @Test func durations() {
        #expect(Quantities.duration("500ms") == 500_000_000)
        #expect(Quantities.duration("5s") == 5_000_000_000)
        #expect(Quantities.duration("2m") == 120_000_000_000)
        #expect(Quantities.duration("1.5s") == 1_500_000_000)
        #expect(Quantities.duration("3") == 3_000_000_000)
        #expect(Quantities.duration("5 s") == 5_000_000_000)
        for bad in ["", "s", "5x", "-1s", "1..2s", ".5s", "five"] { #expect(Quantities.duration(bad) == nil, "\(bad)") }
    }

    @Test func sizes() {
        #expect(Quantities.size("4096") == 4096)
        #expect(Quantities.size("64KiB") == 65536)
        #expect(Quantities.size("1MiB") == 1_048_576)
        #expect(Quantities.size("16GiB") == 17_179_869_184)
        #expect(Quantities.size("1KB") == 1000)
        #expect(Quantities.size("512B") == 512)
        for bad in ["", "KiB", "1 XB", "-5", "1e3"] { #expect(Quantities.size(bad) == nil, "\(bad)") }
    }

    @Test func percentagesAndRates() {
        #expect(Quantities.percentage("5%") == 5)
        #expect(Quantities.percentage("0.1%") == 0.1)
        #expect(Quantities.percentage("5") == nil)
        #expect(Quantities.percentage("101%") == nil)
        #expect(Quantities.rate("100mbit") == 100_000_000)
        #expect(Quantities.rate("1gbit") == 1_000_000_000)
        #expect(Quantities.rate("100") == nil)
    }
}
