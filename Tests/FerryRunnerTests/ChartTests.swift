import FerryCore
@testable import FerryRunner
import FerryTestSupport
import Foundation
import Testing

@Suite struct ChartTests {
    @Test func aLogAxisSpansWholeDecadesAroundTheValues() {
        let scale = LogScale(spanning: [0.05, 0.3, 1200])
        #expect(scale.low == -2 && scale.high == 4)
        #expect(scale.fraction(0.01) == 0 && scale.fraction(10_000) == 1)
        #expect(abs(scale.fraction(1) - 2.0 / 6) < 1e-9)
        // Zero and negative values sit on the bottom; one value still makes an axis a decade tall.
        #expect(scale.fraction(0) == 0)
        #expect(LogScale(spanning: [0.4]) == LogScale(low: -1, high: 0))
        #expect(LogScale(spanning: [Double]()) == LogScale(low: -3, high: 0))
    }

    @Test func ticksAreLabelledInTheUnitThatReadsBest() {
        #expect(LogScale.label(0.02) == "20 µs")
        #expect(LogScale.label(0.0015) == "1.5 µs")
        #expect(LogScale.label(2) == "2 ms")
        #expect(LogScale.label(500) == "500 ms")
        #expect(LogScale.label(1500) == "1.5 s")
        let dense = LogScale(low: -1, high: 1).ticks
        #expect(dense.map(\.value) == [0.1, 0.2, 0.5, 1, 2, 5, 10])
        #expect(dense.allSatisfy { $0.labelled })
        // Over more than three decades only the decades are labelled.
        #expect(LogScale(low: -3, high: 3).ticks.filter { $0.labelled }.count == 7)
    }

    @Test func theDistributionCurveRisesFromTheFastestToTheSlowest() {
        let curve = DistributionChart.curve([3, 1, 2, 4])
        #expect(curve.map(\.time) == [1, 1, 2, 3, 4])
        #expect(curve.map(\.share) == [0, 0.25, 0.5, 0.75, 1])
        let many = DistributionChart.curve(TimeStatistics((1...100_000).map(Double.init)))
        #expect(many.count == DistributionChart.pointLimit + 1)
        #expect(many.last?.share == 1 && many.last?.time == 100_000)
        #expect(zip(many, many.dropFirst()).allSatisfy { $0.time <= $1.time && $0.share <= $1.share })
    }

    private func count(_ text: String, _ part: String) -> Int { text.components(separatedBy: part).count - 1 }

    @Test func aBarPerTransferWithIncorrectCopiesInRed() {
        let chart = TransferChart(times: [0.2, 0.3, 1000, 0.25], connect: [0.05, 0.06, 999, 0.05], incorrect: [2], average: 250.2,
                                  color: Palette.client, label: "x")
        let svg = chart.render()
        #expect(svg.contains("class=\"chart-times\""))
        #expect(count(svg, "class=\"transfer\"") == 3)
        #expect(count(svg, "class=\"incorrect\"") == 1)
        #expect(count(svg, "class=\"connect\"") == 4)
        #expect(svg.contains("transfer 2: 0.300 ms (connect 0.060 ms), copy incorrect"))
        #expect(svg.contains("average 250.200 ms"))
        #expect(svg.contains(">1 s<") && svg.contains(">100 µs<"))
    }

    @Test func aTransferTimedAtZeroStillShows() {
        let svg = TransferChart(times: [0, 1, 0], incorrect: [3], color: Palette.client, label: "x").render()
        let heights = svg.components(separatedBy: "height=\"").dropFirst().compactMap { Double($0.prefix { $0 != "\"" }) }
        #expect(count(svg, "class=\"incorrect\"") == 1)
        #expect(heights.allSatisfy { $0 >= 2 }, "\(heights)")
    }

    @Test func moreThanBarLimitTransfersDrawAHistogram() {
        let times = (1...(TransferChart.barLimit + 1)).map { Double($0 % 50 + 1) / 100 }
        let svg = TransferChart(times: TimeStatistics(times), incorrect: [1, 2, 3], average: 0.25, color: Palette.server, label: "x").render()
        #expect(svg.contains("class=\"chart-histogram\""))
        #expect(!svg.contains("class=\"transfer\""))
        func counted(_ kind: String) -> Int {
            svg.components(separatedBy: "class=\"\(kind)\"><title>").dropFirst().compactMap { part -> Int? in
                let title = part.prefix { $0 != "<" }
                return title.split(separator: ":").last?.split(separator: " ").first.flatMap { Int($0) }
            }.reduce(0, +)
        }
        #expect(counted("bin") == times.count)
        #expect(counted("incorrect") == 3)
    }

    @Test func transferTicksAreRoundAndIncludeBothEnds() {
        #expect(TransferChart.transferTicks(100) == [1, 20, 40, 60, 80, 100])
        #expect(TransferChart.transferTicks(1) == [1])
        #expect(TransferChart.transferTicks(2) == [1, 2])
        #expect(TransferChart.transferTicks(5) == [1, 2, 3, 4, 5])
        #expect(TransferChart.transferTicks(7).first == 1 && TransferChart.transferTicks(7).last == 7)
    }

    @Test func linksToLogsAreRelativeToTheReport() {
        #expect(HTMLReport.link(to: "/w/runs/case-1/server.log", from: "/w/runs") == "case-1/server.log")
        #expect(HTMLReport.link(to: "/w/runs/case-1", from: "/w/reports") == "../runs/case-1")
        #expect(HTMLReport.link(to: "/w/x.log", from: nil) == "/w/x.log")
        #expect(HTMLReport.link(to: "/w/try#2/a b?.log", from: "/w") == "try%232/a%20b%3F.log")
    }
}

@Suite struct PairCountersTests {
    @Test func tcpCountersComeFromTheClientsResults() throws {
        let folder = try TemporaryDirectory("ferry-counters")
        defer { folder.remove() }
        let client = ResultsFile(role: "client", file: "f", transfers: [
            TransferRecord(n: 1, ms: 1000.5, bytes: 3, verdict: .identical, tcp: TCPCounts(connectMs: 1000.1, retransmissions: 1, rttMs: 0.05)),
            TransferRecord(n: 2, ms: 0.3, bytes: 3, verdict: .identical, tcp: TCPCounts(connectMs: 0.02, retransmissions: 0, rttMs: 0.04)),
        ])
        try client.write(to: folder.file("client.json"))
        let counters = try #require(PairCounters.load(server: folder.file("server.json"), client: folder.file("client.json")))
        #expect(counters.connectTimes.values == [1000.1, 0.02])
        #expect(counters.totalRetransmissions == 1 && counters.retransmittedTransfers == 1)
        #expect(counters.roundTripTimes.values == [0.05, 0.04])
        #expect(counters.datagramsLost == nil)
    }

    @Test func datagramCountersComeFromBothSides() throws {
        let folder = try TemporaryDirectory("ferry-counters")
        defer { folder.remove() }
        let counts = { (lost: Int, resent: Int?) in
            DatagramCounts(expected: 5, received: 5 - lost, lost: lost, duplicated: 0, outOfOrder: 0, retransmitted: resent)
        }
        try ResultsFile(role: "client", file: "f", transfers: [
            TransferRecord(n: 1, ms: 1, bytes: 3, verdict: .identical, datagrams: counts(0, 2)),
            TransferRecord(n: 2, ms: 1, bytes: 3, verdict: .identical, datagrams: counts(0, 0)),
        ]).write(to: folder.file("client.json"))
        try ResultsFile(role: "server", file: "f", transfers: [
            TransferRecord(n: 1, ms: 1, bytes: 3, verdict: .incomplete, datagrams: counts(2, nil)),
            TransferRecord(n: 2, ms: 1, bytes: 3, verdict: .incomplete, datagrams: counts(1, nil)),
        ]).write(to: folder.file("server.json"))
        let counters = try #require(PairCounters.load(server: folder.file("server.json"), client: folder.file("client.json")))
        #expect(counters.totalRetransmissions == 2 && counters.retransmittedTransfers == 1 && counters.connectTimes.count == 0)
        #expect(counters.datagramsLost == 3)
        #expect(PairCounters.load(server: folder.file("none.json"), client: folder.file("none.json")) == nil)
    }

    /// Figures as large as a results file can hold add up to the largest `Int`, not to a trap.
    @Test func sumsPastTheLargestIntegerAreHeldThere() throws {
        let folder = try TemporaryDirectory("ferry-counters")
        defer { folder.remove() }
        let huge = { (n: Int) in
            TransferRecord(n: n, ms: 1, bytes: 3, verdict: .identical, datagrams: DatagramCounts(
                expected: .max, received: 0, lost: .max, duplicated: 0, outOfOrder: 0, retransmitted: .max))
        }
        try ResultsFile(role: "client", file: "f", transfers: [huge(1), huge(2)]).write(to: folder.file("client.json"))
        try ResultsFile(role: "server", file: "f", transfers: [huge(1), huge(2)]).write(to: folder.file("server.json"))
        let counters = try #require(PairCounters.load(server: folder.file("server.json"), client: folder.file("client.json")))
        #expect(counters.totalRetransmissions == .max && counters.retransmittedTransfers == 2 && counters.datagramsLost == .max)
    }
}
