/// What one side recorded of one transfer.
public struct TransferRecord: Codable, Equatable, Sendable {
    /// 1-based transfer number.
    public var n: Int
    /// The printed time in milliseconds (rounded to whole microseconds).
    public var ms: Double
    /// Payload bytes received (server) or sent (client).
    public var bytes: UInt64
    /// The server's verdict; nil on the client when none arrived.
    public var verdict: VerdictStatus?
    /// More words on the verdict or the failure.
    public var detail: String?
    /// Where the server stored the copy; nil when nothing was stored or on the client.
    public var stored: String?
    /// What happened to the datagrams (udp and rudp).
    public var datagrams: DatagramCounts?
    /// tcp client only: the connection's own account of the transfer.
    public var tcp: TCPCounts?

    enum CodingKeys: String, CodingKey { case n, ms, bytes, verdict, detail, stored, datagrams, tcp }

    public init(
        n: Int, ms: Double, bytes: UInt64, verdict: VerdictStatus?, detail: String? = nil, stored: String? = nil,
        datagrams: DatagramCounts? = nil, tcp: TCPCounts? = nil
    ) {
        self.datagrams = datagrams
        self.tcp = tcp
        self.n = n
        self.ms = ms
        self.bytes = bytes
        self.verdict = verdict
        self.detail = detail
        self.stored = stored
    }

    /// A transfer is correct only when the server found the copy identical.
    public var isCorrect: Bool { verdict == .identical }
}

/// What happened to the data datagrams of one transfer.
public struct DatagramCounts: Codable, Equatable, Sendable {
    public var expected: Int
    public var received: Int
    public var lost: Int
    public var duplicated: Int
    public var outOfOrder: Int
    /// rudp client only: datagrams sent again.
    public var retransmitted: Int?

    enum CodingKeys: String, CodingKey {
        case expected, received, lost, duplicated, outOfOrder = "out_of_order", retransmitted
    }

    public init(expected: Int, received: Int, lost: Int, duplicated: Int, outOfOrder: Int, retransmitted: Int? = nil) {
        self.expected = expected
        self.received = received
        self.lost = lost
        self.duplicated = duplicated
        self.outOfOrder = outOfOrder
        self.retransmitted = retransmitted
    }

    /// `47 expected, 45 received, 2 lost, 0 duplicated, 1 out of order`
    public var summary: String {
        var text = "\(expected) expected, \(received) received, \(lost) lost, \(duplicated) duplicated, \(outOfOrder) out of order"
        if let retransmitted { text += ", \(retransmitted) retransmitted" }
        return text
    }
}

/// Why a TCP transfer took as long as it did, as the client saw it: how much of the time went to
/// the handshake (SYN to established), and what the kernel's `TCP_INFO` said after the verdict.
public struct TCPCounts: Codable, Equatable, Sendable {
    /// `connect(2)` from the call to established, in milliseconds (whole microseconds): a lost
    /// SYN shows here as 1 s or more.
    public var connectMs: Double
    /// Segments the kernel sent again on this connection, the SYN included (`tcpi_total_retrans`).
    public var retransmissions: Int
    /// The kernel's smoothed round-trip time, in milliseconds (`tcpi_rtt`, microsecond resolution).
    public var rttMs: Double

    enum CodingKeys: String, CodingKey { case connectMs = "connect_ms", retransmissions, rttMs = "rtt_ms" }

    public init(connectMs: Double, retransmissions: Int, rttMs: Double) {
        self.connectMs = connectMs
        self.retransmissions = retransmissions
        self.rttMs = rttMs
    }
}
