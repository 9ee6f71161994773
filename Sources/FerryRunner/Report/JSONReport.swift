import FerryCore
import Foundation

/// The `--json` report: `{"cases": [...]}`, one object per case.
public enum JSONReport {
    struct Side: Encodable {
        var averageMs, minMs, medianMs, p90Ms, p99Ms, maxMs: Double?
        var printedAverageMs: Double?
        var transfers: Int

        enum CodingKeys: String, CodingKey {
            case averageMs = "average_ms", minMs = "min_ms", medianMs = "median_ms", p90Ms = "p90_ms", p99Ms = "p99_ms"
            case maxMs = "max_ms", printedAverageMs = "printed_average_ms", transfers = "timed_transfers"
        }

        init(times: [Double], printedAverage: Double?) {
            transfers = times.count
            printedAverageMs = printedAverage
            guard !times.isEmpty else { return }
            let summary = TimingSummary(milliseconds: times)
            averageMs = summary.averageMs
            minMs = summary.minMs
            medianMs = summary.medianMs
            p90Ms = summary.p90Ms
            p99Ms = summary.p99Ms
            maxMs = summary.maxMs
        }
    }

    struct Case: Encodable {
        var name, scenario, scenarioName, `protocol`, isolation, folder: String
        var bufferSize, repetitions, incorrect: Int
        var passed: Bool
        var durationS: Double
        var checks: [Check]
        var server, client: Side
        var verified: Verification
        var loss: Double?
        var impairment: String?
        var datagramsLost: Int?

        enum CodingKeys: String, CodingKey {
            case name, scenario, scenarioName = "scenario_name", `protocol`, isolation, folder, bufferSize = "buffer_size"
            case repetitions, incorrect, passed, durationS = "duration_s", checks, server, client, verified
            case loss = "loss_percent", impairment, datagramsLost = "datagrams_lost"
        }
    }

    struct Document: Encodable { var cases: [Case] }

    /// The report as JSON text.
    public static func render(_ results: [CaseResult]) throws -> Data {
        let cases = results.map { result in
            Case(
                name: result.name, scenario: result.scenario, scenarioName: result.scenarioName, protocol: result.transport,
                isolation: result.isolation, folder: result.folder, bufferSize: result.bufferSize, repetitions: result.repetitions,
                incorrect: result.incorrect, passed: result.passed, durationS: result.duration, checks: result.checks,
                server: Side(times: result.serverTimes, printedAverage: result.serverAverage),
                client: Side(times: result.clientTimes, printedAverage: result.clientAverage), verified: result.verified,
                loss: result.loss, impairment: result.impairment, datagramsLost: result.datagramsLost)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Document(cases: cases))
    }
}
