/// How the file travels.
public enum TransportProtocol: String, Sendable, CaseIterable, Codable {
    /// One TCP connection per transfer.
    case tcp
    /// Datagrams, no retransmission: what arrives is what the server gets.
    case udp
    /// Datagrams with Ferry's own reliability: sliding window, selective acknowledgements, retransmission.
    case rudp

    /// The buffer size used when none is given: TCP's receive buffer, or a datagram's payload
    /// small enough that nothing is fragmented on a 1500-byte link.
    public var defaultBufferSize: Int { self == .tcp ? 1 << 20 : 1400 }

    /// The largest buffer size allowed.
    public var maximumBufferSize: Int { self == .tcp ? 64 << 20 : Datagram.maximumPayload }

    /// True for the datagram protocols.
    public var isDatagram: Bool { self != .tcp }
}
