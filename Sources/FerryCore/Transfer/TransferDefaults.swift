/// Every default of `server` and `client`, in one place: the command-line options and the
/// configurations both take theirs from here.
public enum TransferDefaults {
    /// Transfers per run.
    public static let count = 100
    /// How long (nanoseconds) the client keeps trying to connect for one transfer.
    public static let connectTimeout: UInt64 = 5_000_000_000
    /// How long (nanoseconds) a peer may stay silent during a transfer.
    public static let idleTimeout: UInt64 = 10_000_000_000
    /// udp: a gap this long (nanoseconds) without datagrams ends a transfer whose end marker was lost.
    public static let udpIdle: UInt64 = 200_000_000
    /// rudp: datagrams in flight at once.
    public static let window = 64
    /// udp: the client's pacing, bits per second.
    public static let udpRate: UInt64 = 10_000_000_000
    /// The largest announced size the server accepts.
    public static let maximumSize: UInt64 = 16 << 30
    /// The server's store folder.
    public static let store = "received"

    /// The buffer size when none is given: tcp 1 MiB, udp and rudp 1400 bytes.
    public static func bufferSize(for transport: TransportProtocol) -> Int { transport.defaultBufferSize }
}
