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

    /// The counters in the pair's results files, read one record at a time (`ResultsReader`);
    /// nil when neither can be read.
    public static func load(server serverPath: String, client clientPath: String) -> PairCounters? {
        var counters = PairCounters()
        // The client's: tcp counts for every transfer, or rudp's datagrams sent again.
        var tcp: [TCPCounts] = []
        var resent: [Int?] = []
        var clientTransfers = 0
        let readClient = ResultsReader.forEachTransfer(at: clientPath) { record in
            clientTransfers += 1
            if let counts = record.tcp { tcp.append(counts) }
            resent.append(record.datagrams?.retransmitted)
        }
        if readClient {
            if tcp.count == clientTransfers && !tcp.isEmpty {
                counters.connectMs = tcp.map(\.connectMs)
                counters.rttMs = tcp.map(\.rttMs)
                counters.retransmissions = tcp.map(\.retransmissions)
            } else if resent.contains(where: { $0 != nil }) {
                // rudp: a transfer whose verdict was lost has no counts, and counts 0.
                counters.retransmissions = resent.map { $0 ?? 0 }
            }
        }
        var lost: Int?
        let readServer = ResultsReader.forEachTransfer(at: serverPath) { record in
            if let counts = record.datagrams { lost = (lost ?? 0) + counts.lost }
        }
        guard readClient || readServer else { return nil }
        counters.datagramsLost = readServer ? lost : nil
        return counters
    }

    /// tcp: the handshake times' summary; nil when not measured.
    public var connect: TimingSummary? { connectMs.isEmpty ? nil : TimingSummary(milliseconds: connectMs) }
    /// tcp: the round-trip times' summary; nil when not measured.
    public var roundTrip: TimingSummary? { rttMs.isEmpty ? nil : TimingSummary(milliseconds: rttMs) }

    /// Retransmissions over every transfer; nil when not counted.
    public var totalRetransmissions: Int? { retransmissions.isEmpty ? nil : retransmissions.reduce(0, +) }
    /// Transfers that needed at least one retransmission; nil when not counted.
    public var retransmittedTransfers: Int? { retransmissions.isEmpty ? nil : retransmissions.filter { $0 > 0 }.count }
}
