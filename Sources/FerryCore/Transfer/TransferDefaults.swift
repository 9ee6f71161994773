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
    /// How long (nanoseconds) stdout lines held for a pipe (see `StandardStreams`) may wait while
    /// the program goes on: a reader sees progress this often, without a wake-up per line. Also the
    /// TCP server's wait slice (see `SlicedTimeout`).
    public static let heldLinesLimit: UInt64 = 50_000_000
    /// How long (nanoseconds) a new TCP connection may take to send its whole header.
    public static let headerTimeout: UInt64 = 2_000_000_000

    /// The longest a TCP transfer of `size` bytes may take once its header arrived: 10 s, plus one
    /// second per MiB (a peer slower than 1 MiB/s past the first 10 s is cut off), besides the
    /// idle timeout between two reads. Nanoseconds.
    public static func timeLimit(forSize size: UInt64) -> UInt64 {
        let perMiB: UInt64 = 1_000_000_000
        return 10_000_000_000 &+ (size >> 20) &* perMiB &+ ((size & ((1 << 20) - 1)) * perMiB >> 20)
    }

    /// The buffer size when none is given: tcp 1 MiB, udp and rudp 1400 bytes.
    public static func bufferSize(for transport: TransportProtocol) -> Int { transport.defaultBufferSize }
}
