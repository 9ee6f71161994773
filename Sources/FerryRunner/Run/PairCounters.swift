import FerryCore
import Foundation

/// What Ferry's own pair wrote in its `--json` results beyond the printed lines: per transfer,
/// the TCP handshake time, retransmissions and round-trip time (client), and the datagrams the
/// server found lost. Programs the runner judges from outside have none of it.
public struct PairCounters: Sendable, Equatable {
    /// tcp: milliseconds from `connect` to established, per transfer in order (`values` while
    /// they are kept); empty when not measured.
    public var connectTimes = TimeStatistics()
    /// tcp: the kernel's smoothed round-trip time after each transfer; empty when not measured.
    public var roundTripTimes = TimeStatistics()
    /// Segments (tcp) or datagrams (rudp) sent again over every transfer; nil when not counted (udp).
    public var totalRetransmissions: Int?
    /// Transfers that needed at least one retransmission; nil when not counted.
    public var retransmittedTransfers: Int?
    /// Data datagrams the server found lost, summed over the transfers (udp and rudp).
    public var datagramsLost: Int?

    /// No counters yet.
    public init() {}

    /// The counters in the pair's results files, read one record at a time (`ResultsReader`) and
    /// kept as sums and `TimeStatistics`, so memory does not grow with the transfers; nil when
    /// neither file can be read.
    public static func load(server serverPath: String, client clientPath: String) -> PairCounters? {
        var counters = PairCounters()
        // The client's: tcp counts for every transfer, or rudp's datagrams sent again.
        var tcp = (transfers: 0, connect: TimeStatistics(), roundTrip: TimeStatistics(), resent: 0, resending: 0)
        var rudp = (counted: false, resent: 0, resending: 0)
        var clientTransfers = 0
        let readClient = ResultsReader.forEachTransfer(at: clientPath) { record in
            clientTransfers += 1
            if let counts = record.tcp {
                tcp.transfers += 1
                tcp.connect.add(counts.connectMs)
                tcp.roundTrip.add(counts.rttMs)
                tcp.resent = Self.adding(tcp.resent, counts.retransmissions)
                if counts.retransmissions > 0 { tcp.resending += 1 }
            }
            // rudp: a transfer whose verdict was lost has no counts, and counts 0.
            if let resent = record.datagrams?.retransmitted {
                rudp.counted = true
                rudp.resent = Self.adding(rudp.resent, resent)
                if resent > 0 { rudp.resending += 1 }
            }
        }
        if readClient {
            if tcp.transfers == clientTransfers && tcp.transfers > 0 {
                counters.connectTimes = tcp.connect
                counters.roundTripTimes = tcp.roundTrip
                counters.totalRetransmissions = tcp.resent
                counters.retransmittedTransfers = tcp.resending
            } else if rudp.counted {
                counters.totalRetransmissions = rudp.resent
                counters.retransmittedTransfers = rudp.resending
            }
        }
        var lost: Int?
        let readServer = ResultsReader.forEachTransfer(at: serverPath) { record in
            if let counts = record.datagrams { lost = Self.adding(lost ?? 0, counts.lost) }
        }
        guard readClient || readServer else { return nil }
        counters.datagramsLost = readServer ? lost : nil
        return counters
    }

    /// `a + b`, held at the bounds of `Int`: a results file's figures are read as written, and a
    /// sum past `Int.max` must not stop the runner.
    private static func adding(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }

    /// tcp: the handshake times' summary; nil when not measured.
    public var connect: TimingSummary? { connectTimes.count == 0 ? nil : TimingSummary(connectTimes) }
    /// tcp: the round-trip times' summary; nil when not measured.
    public var roundTrip: TimingSummary? { roundTripTimes.count == 0 ? nil : TimingSummary(roundTripTimes) }
}
