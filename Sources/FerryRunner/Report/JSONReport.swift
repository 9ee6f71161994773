import FerryCore
import Foundation
import Glibc

/// The `--json` report, schema version 1:
/// `{"schema_version": 1, "summary": {...}, "error": null, "cases": [...]}`, one object per case.
/// Every key is always present (null where it does not apply); times are rounded to the
/// microsecond (`*_ms` to 3 decimals, `*_s` to 6). See docs/reports.md.
public enum JSONReport {
    /// Raised when the document's shape changes in a way a reader must know about.
    public static let schemaVersion = 1

    /// Milliseconds rounded to the microsecond.
    static func ms(_ value: Double?) -> Double? { value.map { ($0 * 1000).rounded() / 1000 } }
    /// Seconds rounded to the microsecond.
    static func s(_ value: Double) -> Double { (value * 1_000_000).rounded() / 1_000_000 }

    struct Side: Encodable {
        var averageMs, minMs, medianMs, p90Ms, p99Ms, maxMs: Double?
        var printedAverageMs: Double?
        var transfers: Int

        enum CodingKeys: String, CodingKey {
            case averageMs = "average_ms", minMs = "min_ms", medianMs = "median_ms", p90Ms = "p90_ms", p99Ms = "p99_ms"
            case maxMs = "max_ms", printedAverageMs = "printed_average_ms", transfers = "timed_transfers"
        }

        init(times: TimeStatistics, printedAverage: Double?) {
            transfers = times.count
            printedAverageMs = ms(printedAverage)
            guard times.count > 0 else { return }
            let summary = TimingSummary(times)
            averageMs = ms(summary.averageMs)
            minMs = ms(summary.minMs)
            medianMs = ms(summary.medianMs)
            p90Ms = ms(summary.p90Ms)
            p99Ms = ms(summary.p99Ms)
            maxMs = ms(summary.maxMs)
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            for (key, value) in [(CodingKeys.averageMs, averageMs), (.minMs, minMs), (.medianMs, medianMs), (.p90Ms, p90Ms),
                                 (.p99Ms, p99Ms), (.maxMs, maxMs), (.printedAverageMs, printedAverageMs)] {
                try container.encode(value, forKey: key)
            }
            try container.encode(transfers, forKey: .transfers)
        }
    }

    struct Case: Encodable {
        var name, scenario, scenarioName, `protocol`, isolation, folder: String
        var line, bufferSize, repetitions, incorrect: Int
        var passed: Bool
        var durationS: Double
        var startedAt: String
        var checks: [Check]
        var server, client: Side
        var verified: Verification
        var loss: Double?
        var impairment: String?
        var datagramsLost: Int?
        var submission: String?
        var throughput: Double?
        var retransmissions, retransmittedTransfers: Int?
        var connectMedianMs, connectMaxMs, rttMedianMs: Double?

        enum CodingKeys: String, CodingKey {
            case name, scenario, scenarioName = "scenario_name", `protocol`, isolation, folder, line, bufferSize = "buffer_size"
            case repetitions, incorrect, passed, durationS = "duration_s", startedAt = "started_at", checks, server, client, verified
            case loss = "loss_percent", impairment, datagramsLost = "datagrams_lost", submission
            case throughput = "throughput_mb_s", retransmissions, retransmittedTransfers = "retransmitted_transfers"
            case connectMedianMs = "connect_median_ms", connectMaxMs = "connect_max_ms", rttMedianMs = "rtt_median_ms"
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            for (key, value) in [(CodingKeys.name, name), (.scenario, scenario), (.scenarioName, scenarioName), (.protocol, `protocol`),
                                 (.isolation, isolation), (.folder, folder), (.startedAt, startedAt)] {
                try container.encode(value, forKey: key)
            }
            for (key, value) in [(CodingKeys.line, line), (.bufferSize, bufferSize), (.repetitions, repetitions), (.incorrect, incorrect)] {
                try container.encode(value, forKey: key)
            }
            try container.encode(passed, forKey: .passed)
            try container.encode(durationS, forKey: .durationS)
            try container.encode(checks, forKey: .checks)
            try container.encode(server, forKey: .server)
            try container.encode(client, forKey: .client)
            try container.encode(verified, forKey: .verified)
            // Keys that do not apply are null, never missing.
            try container.encode(loss, forKey: .loss)
            try container.encode(impairment, forKey: .impairment)
            try container.encode(datagramsLost, forKey: .datagramsLost)
            try container.encode(submission, forKey: .submission)
            for (key, value) in [(CodingKeys.retransmissions, retransmissions), (.retransmittedTransfers, retransmittedTransfers)] {
                try container.encode(value, forKey: key)
            }
            for (key, value) in [(CodingKeys.throughput, throughput), (.connectMedianMs, connectMedianMs), (.connectMaxMs, connectMaxMs),
                                 (.rttMedianMs, rttMedianMs)] {
                try container.encode(value, forKey: key)
            }
        }
    }

    struct Summary: Encodable {
        var passed, failed: Int
        var durationS: Double
        var ferryVersion, startedAt, hostname, commandLine: String
        /// The runner's own peak resident memory so far (not its children's), in KiB.
        var runnerPeakRSSKiB: Int

        enum CodingKeys: String, CodingKey {
            case passed, failed, durationS = "duration_s", ferryVersion = "ferry_version", startedAt = "started_at", hostname
            case commandLine = "command_line", runnerPeakRSSKiB = "runner_peak_rss_kib"
        }
    }

    struct Document: Encodable {
        var schemaVersion: Int
        var summary: Summary
        var error: String?
        var cases: [Case]

        enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version", summary, error, cases }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(schemaVersion, forKey: .schemaVersion)
            try container.encode(summary, forKey: .summary)
            try container.encode(error, forKey: .error)
            try container.encode(cases, forKey: .cases)
        }
    }

    /// The report as JSON text.
    public static func render(_ results: [CaseResult], run: RunInfo = RunInfo()) throws -> Data {
        let cases = results.map { result in
            let counters = result.counters
            let connect = counters?.connect
            let rtt = counters?.roundTrip
            return Case(
                name: result.name, scenario: run.relative(result.scenario), scenarioName: result.scenarioName, protocol: result.transport,
                isolation: result.isolation, folder: result.folder, line: result.line, bufferSize: result.bufferSize,
                repetitions: result.repetitions, incorrect: result.incorrect, passed: result.passed, durationS: s(result.duration),
                startedAt: RunInfo.timestamp(result.startedAt), checks: result.checks,
                server: Side(times: result.serverTimes, printedAverage: result.serverAverage),
                client: Side(times: result.clientTimes, printedAverage: result.clientAverage), verified: result.verified,
                loss: result.loss, impairment: result.impairment, datagramsLost: result.datagramsLost, submission: result.submission,
                throughput: result.throughput.map { ($0 * 1000).rounded() / 1000 }, retransmissions: counters?.totalRetransmissions,
                retransmittedTransfers: counters?.retransmittedTransfers, connectMedianMs: ms(connect?.medianMs),
                connectMaxMs: ms(connect?.maxMs), rttMedianMs: ms(rtt?.medianMs))
        }
        let summary = Summary(
            passed: results.filter(\.passed).count, failed: results.filter { !$0.passed }.count,
            durationS: s(Date().timeIntervalSince(run.startedAt)), ferryVersion: FerryVersion.string,
            startedAt: RunInfo.timestamp(run.startedAt), hostname: run.hostname, commandLine: run.commandLine,
            runnerPeakRSSKiB: PeakMemory.residentKiB() ?? 0)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Document(schemaVersion: schemaVersion, summary: summary, error: run.error, cases: cases))
    }
}
