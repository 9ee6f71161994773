import FerryCore
import FerryRunner
import Foundation

/// `bench --scale`: many transfers of 1 byte, Ferry's pair alone and judged by the runner
/// (`scenarios/default.yaml` with the count and the file set), for each count, in `rounds`
/// rounds whose order alternates (alone first, then judged first). Reports the runner's peak
/// resident memory, the case's wall time over the client's own total time, the client's p90 under
/// the runner over its p90 alone in the same round (the median of the rounds, and their range),
/// and the pair's peak memory alone.
///
/// Every run has namespaces of its own, as the runner's case has: the TIME_WAIT sockets of the
/// run before (tens of thousands, each making `connect` search longer for a free port) go with
/// their namespace instead of slowing the next run.
public struct ScaleBench {
    let bench: Benchmark
    /// The transfer counts, in order.
    public let counts: [Int]
    /// Rounds of each count.
    public let rounds: Int
    /// The scenario the runner judges (`scenarios/default.yaml`).
    public let scenario: String

    public init(bench: Benchmark, counts: [Int], rounds: Int, scenario: String) {
        self.bench = bench
        self.counts = counts
        self.rounds = rounds
        self.scenario = scenario
    }

    /// One round's figures of one count.
    struct Round {
        var runnerPeakKiB: Int?
        var caseSeconds = 0.0
        var clientTotalMs = 0.0
        var p90Alone = 0.0
        var p90Judged = 0.0
        var serverPeakKiB: Int?
        var clientPeakKiB: Int?
        var passed = false

        var wallRatio: Double { caseSeconds * 1000 / max(clientTotalMs, 0.001) }
        var p90Ratio: Double { p90Judged / max(p90Alone, 0.001) }
    }

    /// The report's lines: a Markdown table.
    public func report(log: (String) -> Void) throws -> [String] {
        let file = try bench.file(1)
        var lines = [
            "| transfers of 1 byte | rounds | runner peak RSS (most) | case wall ÷ client's own total | client p90 judged ÷ alone | "
                + "p90 alone / judged (medians) | server / client peak RSS alone (most) | verdicts |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        let mib = { (kib: Int?) in kib.map { Formatting.fixed(Double($0) / 1024, decimals: 1) + " MiB" } ?? "-" }
        for count in counts {
            var measured: [Round] = []
            for index in 0..<rounds {
                var round = Round()
                // Alternating, so neither setting always runs on the host as the other left it.
                for judgedFirst in index % 2 == 0 ? [false, true] : [true, false] {
                    pause()
                    if judgedFirst {
                        try judged(file: file, count: count, into: &round)
                        log("  \(count) transfers judged, round \(index + 1): \(Formatting.fixed(round.caseSeconds, decimals: 1)) s, "
                            + "p90 \(Formatting.milliseconds(round.p90Judged)) ms, runner \(mib(round.runnerPeakKiB)), "
                            + "client's own total \(Formatting.fixed(round.clientTotalMs / 1000, decimals: 1)) s")
                    } else {
                        let alone = try bench.measureAlone(file: file, count: count)
                        round.p90Alone = TimingSummary(alone.clientTimes).p90Ms
                        round.serverPeakKiB = alone.serverPeakKiB
                        round.clientPeakKiB = alone.clientPeakKiB
                        log("  \(count) transfers alone, round \(index + 1): p90 \(Formatting.milliseconds(round.p90Alone)) ms, "
                            + "server \(mib(alone.serverPeakKiB)), client \(mib(alone.clientPeakKiB))")
                    }
                }
                measured.append(round)
            }
            let most = { (figure: (Round) -> Int?) in measured.compactMap(figure).max() }
            let passed = measured.filter(\.passed).count
            lines.append(
                "| \(count) | \(rounds) | \(mib(most(\.runnerPeakKiB))) | \(Self.medianAndRange(measured.map(\.wallRatio))) "
                    + "| \(Self.medianAndRange(measured.map(\.p90Ratio))) "
                    + "| \(Formatting.milliseconds(Benchmark.median(measured.map(\.p90Alone)))) / \(Formatting.milliseconds(Benchmark.median(measured.map(\.p90Judged)))) ms "
                    + "| \(mib(most(\.serverPeakKiB))) / \(mib(most(\.clientPeakKiB))) "
                    + "| \(passed == rounds ? "passed" : "\(rounds - passed) of \(rounds) FAILED") |")
        }
        return lines + ["", "The \(bench.options.fileSystem)."]
    }

    /// "1.05 (0.98–1.31)": the median, and the range when there is more than one value.
    static func medianAndRange(_ values: [Double]) -> String {
        let median = Formatting.fixed(Benchmark.median(values), decimals: 2)
        guard values.count > 1, let low = values.min(), let high = values.max() else { return median }
        return "\(median) (\(Formatting.fixed(low, decimals: 2))–\(Formatting.fixed(high, decimals: 2)))"
    }

    /// How long a run waits before it starts: the kernel frees the namespaces of the run before,
    /// with their sockets, in the background.
    static let pauseSeconds = 5.0

    private func pause() {
        Thread.sleep(forTimeInterval: Self.pauseSeconds)
    }

    /// The runner on the scenario with `count` transfers of `file`; its JSON report read back.
    private func judged(file: String, count: Int, into row: inout Round) throws {
        // As before a run alone: otherwise this run pays for writing back the copies of the run
        // before it, made and removed by the thousand.
        bench.settle(file)
        let work = "\(bench.options.workFolder)/scale-\(count)"
        try? FileManager.default.removeItem(atPath: work)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let report = "\(work).json"
        defer { try? FileManager.default.removeItem(atPath: report) }
        let child = try ChildProcess(arguments: [
            "\(bench.options.binaries)/runner", scenario, "--set", "transfer.repetitions=\(count)", "--set", "transfer.file=\(file)",
            "--set", "timeouts.case=\(Self.caseLimit)s", "--work-dir", work, "--json", report, "--quiet",
        ])
        let end = child.wait(until: Date().addingTimeInterval(TimeInterval(Self.caseLimit + 60))) ?? child.stop()
        guard end == .exited(0) || end == .exited(1),
            let data = FileManager.default.contents(atPath: report),
            let document = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let summary = document["summary"] as? [String: Any],
            let caseReport = (document["cases"] as? [[String: Any]])?.first,
            let client = caseReport["client"] as? [String: Any]
        else { throw FerryError("runner with \(count) transfers ended with \(end): \(child.output.snapshot.map(\.text).suffix(3))") }
        row.runnerPeakKiB = summary["runner_peak_rss_kib"] as? Int
        row.caseSeconds = caseReport["duration_s"] as? Double ?? 0
        row.passed = caseReport["passed"] as? Bool ?? false
        row.p90Judged = client["p90_ms"] as? Double ?? 0
        row.clientTotalMs = (client["average_ms"] as? Double ?? 0) * Double(client["timed_transfers"] as? Int ?? 0)
    }

    /// The longest a case may take, in seconds: a million transfers at 2 ms each is 2,000 s.
    static let caseLimit = 7200
}

extension Benchmark {
    /// What Ferry's pair alone measured at scale.
    struct ScaleMeasurement {
        var clientTimes: TimeStatistics
        var serverPeakKiB: Int?
        var clientPeakKiB: Int?
    }

    /// Ferry's server and client alone, `count` transfers of `file`: the client's times from its
    /// `--json` results, both sides' peak resident memory (VmHWM, looked at every 100 ms).
    func measureAlone(file: String, count: Int) throws -> ScaleMeasurement {
        port += 1
        settle(file)
        let store = "\(options.workFolder)/store-scale"
        let results = "\(options.workFolder)/client-scale.json"
        try? FileManager.default.removeItem(atPath: store)
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: store)
            try? FileManager.default.removeItem(atPath: results)
        }
        // Namespaces of its own (see `ScaleBench`), removed with the sockets this run leaves.
        let pair = try NamespacePair(serverAddress: self.pair.serverAddress, clientAddress: self.pair.clientAddress)
        defer { pair.remove() }
        let ferry = Contender.ferry(binaries: options.binaries)
        let quiet = { CapturedOutput(retention: .recent(lines: 20), watch: { $0.text == ferry.readyLine }) }
        let server = try ChildProcess(arguments: pair.inServer(ferry.server(pair.serverAddress, port, file, count, store)), output: quiet())
        defer { server.stop() }
        guard server.output.waitForWatched(until: Date().addingTimeInterval(20)) else {
            throw FerryError("ferry server not ready: \(server.output.snapshot.map(\.text).suffix(3))")
        }
        let client = try ChildProcess(
            arguments: pair.inClient(ferry.client(pair.serverAddress, port, file, count) + ["--json", results]), output: quiet())
        defer { client.stop() }
        var measured = ScaleMeasurement(clientTimes: TimeStatistics())
        let deadline = Date().addingTimeInterval(TimeInterval(ScaleBench.caseLimit))
        while client.isRunning && Date() < deadline {
            if let now = PeakMemory.residentKiB("\(server.pid)") { measured.serverPeakKiB = max(measured.serverPeakKiB ?? 0, now) }
            if let now = PeakMemory.residentKiB("\(client.pid)") { measured.clientPeakKiB = max(measured.clientPeakKiB ?? 0, now) }
            _ = client.waitForExit(until: Date().addingTimeInterval(0.1))
        }
        guard client.wait(until: deadline) == .exited(0) else {
            throw FerryError("ferry client failed: \(client.output.snapshot.map(\.text).suffix(3))")
        }
        _ = server.wait(until: Date().addingTimeInterval(10))
        guard ResultsReader.forEachTransfer(at: results, { measured.clientTimes.add($0.ms) }) else {
            throw FerryError("\(results): the client's results could not be read")
        }
        return measured
    }
}
