import FerryCore
import FerryScenario

/// The table printed after a run of several cases: one row per case with its protocol, loss,
/// buffer size, incorrect transfers, error rate, both sides' averages, throughput, retransmissions
/// (tcp segments, rudp datagrams) and datagrams lost.
public enum ComparisonTable {
    public static func lines(_ results: [CaseResult]) -> [String] {
        let header = ["case", "protocol", "loss", "buffer", "incorrect", "error rate", "client avg ms", "server avg ms", "MB/s",
                      "retransmissions", "datagrams lost"]
        let rows = results.map { result -> [String] in
            let average: (Double?) -> String = { $0.map(Formatting.milliseconds) ?? "-" }
            let count: (Int?) -> String = { $0.map(String.init) ?? "-" }
            return [
                result.name, result.transport, result.loss.map(Scenario.percent) ?? "-", String(result.bufferSize),
                "\(result.incorrect)/\(result.repetitions)",
                Formatting.fixed(Double(result.incorrect) * 100 / Double(max(result.repetitions, 1)), decimals: 2) + "%",
                average(result.clientAverage), average(result.serverAverage), result.throughput.map(Formatting.rate) ?? "-",
                count(result.counters?.totalRetransmissions), count(result.datagramsLost),
            ]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func format(_ row: [String]) -> String {
            row.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        return [format(header)] + rows.map(format)
    }
}
