import FerryCore
import FerryRunner
import Foundation

/// `bench --scale`: many transfers of 1 byte, Ferry's pair alone and then judged by the runner
/// (`scenarios/default.yaml` with the count and the file set), for each count. Reports the
/// runner's peak resident memory, the case's wall time over the client's own total time, the
/// client's p90 under the runner over its p90 alone, and the pair's peak memory alone.
public struct ScaleBench {
    let bench: Benchmark
    /// The transfer counts, in order.
    public let counts: [Int]
    /// The scenario the runner judges (`scenarios/default.yaml`).
    public let scenario: String

    public init(bench: Benchmark, counts: [Int], scenario: String) {
        self.bench = bench
        self.counts = counts
        self.scenario = scenario
    }

    /// One count's figures.
    struct Row {
        var count: Int
        var runnerPeakKiB: Int?
        var caseSeconds = 0.0
        var clientTotalMs = 0.0
        var p90Alone = 0.0
        var p90Judged = 0.0
        var serverPeakKiB: Int?
        var clientPeakKiB: Int?
        var passed = false
    }

    /// The report's lines: a Markdown table.
    public func report(log: (String) -> Void) throws -> [String] {
        let file = try bench.file(1)
        var lines = [
            "| transfers of 1 byte | runner peak RSS | case wall ÷ client's own total | client p90 judged ÷ alone | server / client peak RSS alone | verdict |",
            "| ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for count in counts {
            var row = Row(count: count)
            drain(log)
            let alone = try bench.measureAlone(file: file, count: count)
            row.p90Alone = TimingSummary(alone.clientTimes).p90Ms
            row.serverPeakKiB = alone.serverPeakKiB
            row.clientPeakKiB = alone.clientPeakKiB
            log("  \(count) transfers alone: p90 \(Formatting.milliseconds(row.p90Alone)) ms, server \(row.serverPeakKiB ?? 0) KiB, client \(row.clientPeakKiB ?? 0) KiB")
            drain(log)
            try judged(file: file, into: &row)
            let mib = { (kib: Int?) in kib.map { Formatting.fixed(Double($0) / 1024, decimals: 1) + " MiB" } ?? "-" }
            log("  \(count) transfers judged: \(Formatting.fixed(row.caseSeconds, decimals: 1)) s, p90 \(Formatting.milliseconds(row.p90Judged)) ms, "
                + "runner \(mib(row.runnerPeakKiB)), client's own total \(Formatting.fixed(row.clientTotalMs / 1000, decimals: 1)) s")
            lines.append(
                "| \(count) | \(mib(row.runnerPeakKiB)) | \(Formatting.fixed(row.caseSeconds * 1000 / max(row.clientTotalMs, 0.001), decimals: 2)) "
                    + "| \(Formatting.fixed(row.p90Judged / max(row.p90Alone, 0.001), decimals: 2)) "
                    + "| \(mib(row.serverPeakKiB)) / \(mib(row.clientPeakKiB)) | \(row.passed ? "passed" : "FAILED") |")
        }
        return lines
    }

    /// How long a run waits for the sockets of the run before it: a closed connection stays in
    /// TIME_WAIT for 60 s, and while tens of thousands do, each `connect` searches longer for a
    /// free port. Without the wait, a run measures the one before it.
    static let drainSeconds = 65.0

    private func drain(_ log: (String) -> Void) {
        log("  waiting \(Int(Self.drainSeconds)) s for the last run's TIME_WAIT sockets to expire")
        Thread.sleep(forTimeInterval: Self.drainSeconds)
    }

    /// The runner on the scenario with `count` transfers of `file`; its JSON report read back.
    private func judged(file: String, into row: inout Row) throws {
        let work = "\(bench.options.workFolder)/scale-\(row.count)"
        try? FileManager.default.removeItem(atPath: work)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let report = "\(work).json"
        defer { try? FileManager.default.removeItem(atPath: report) }
        let child = try ChildProcess(arguments: [
            "\(bench.options.binaries)/runner", scenario, "--set", "transfer.repetitions=\(row.count)", "--set", "transfer.file=\(file)",
            "--set", "timeouts.case=\(Self.caseLimit)s", "--work-dir", work, "--json", report, "--quiet",
        ])
        let end = child.wait(until: Date().addingTimeInterval(TimeInterval(Self.caseLimit + 60))) ?? child.stop()
        guard end == .exited(0) || end == .exited(1),
            let data = FileManager.default.contents(atPath: report),
            let document = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let summary = document["summary"] as? [String: Any],
            let caseReport = (document["cases"] as? [[String: Any]])?.first,
            let client = caseReport["client"] as? [String: Any]
        else { throw FerryError("runner with \(row.count) transfers ended with \(end): \(child.output.snapshot.map(\.text).suffix(3))") }
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
            if let now = Self.peakResidentKiB(server.pid) { measured.serverPeakKiB = max(measured.serverPeakKiB ?? 0, now) }
            if let now = Self.peakResidentKiB(client.pid) { measured.clientPeakKiB = max(measured.clientPeakKiB ?? 0, now) }
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
