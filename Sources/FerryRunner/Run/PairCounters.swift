import FerryCore
import Foundation

/// What Ferry's own pair wrote in its `--json` results beyond the printed lines: per transfer,
/// the TCP handshake time, retransmissions and round-trip time (client), and the datagrams the
/// server found lost. Programs the runner judges from outside have none of it.
public struct PairCounters: Sendable, Equatable {
    /// tcp: milliseconds from `connect` to established, by transfer (index 0 is transfer 1).
    public var connectMs: [Double] = []
    /// Segments (tcp) or datagrams (rudp) sent again, by transfer; empty when not counted (udp).
    public var retransmissions: [Int] = []
    /// tcp: the kernel's smoothed round-trip time after the transfer, by transfer.
    public var rttMs: [Double] = []
    /// Data datagrams the server found lost, summed over the transfers (udp and rudp).
    public var datagramsLost: Int?

    /// No counters yet.
    public init() {}

    /// The counters in the pair's results files; nil when neither can be read.
    public static func load(server serverPath: String, client clientPath: String) -> PairCounters? {
        let server = results(at: serverPath)
        let client = results(at: clientPath)
        guard server != nil || client != nil else { return nil }
        var counters = PairCounters()
        if let transfers = client?.transfers {
            let tcp = transfers.compactMap(\.tcp)
            if tcp.count == transfers.count && !tcp.isEmpty {
                counters.connectMs = tcp.map(\.connectMs)
                counters.rttMs = tcp.map(\.rttMs)
                counters.retransmissions = tcp.map(\.retransmissions)
            } else {
                // rudp: a transfer whose verdict was lost has no counts, and counts 0.
                let resent = transfers.map { $0.datagrams?.retransmitted }
                if resent.contains(where: { $0 != nil }) { counters.retransmissions = resent.map { $0 ?? 0 } }
            }
        }
        let lost = server?.transfers.compactMap(\.datagrams) ?? []
        counters.datagramsLost = lost.isEmpty ? nil : lost.reduce(0) { $0 + $1.lost }
        return counters
    }

    private static func results(at path: String) -> ResultsFile? {
        FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(ResultsFile.self, from: $0) }
    }

    /// Retransmissions over every transfer; nil when not counted.
    public var totalRetransmissions: Int? { retransmissions.isEmpty ? nil : retransmissions.reduce(0, +) }
    /// Transfers that needed at least one retransmission; nil when not counted.
    public var retransmittedTransfers: Int? { retransmissions.isEmpty ? nil : retransmissions.filter { $0 > 0 }.count }
}
