/// Everything `server` was asked to do.
public struct ServerConfiguration: Sendable {
    /// The address and port to listen on.
    public var address: SocketAddress
    /// The file every copy is compared against.
    public var standardPath: String
    /// How many transfers to serve.
    public var count: Int
    /// Where copies are stored.
    public var storeDirectory: String
    /// The receive buffer: the most bytes taken from the socket at once.
    public var bufferSize: Int
    /// Larger announced sizes are refused.
    public var maximumSize: UInt64
    /// A peer silent this long (nanoseconds) loses its transfer.
    public var idleTimeout: UInt64
    /// Where to write the JSON results, if anywhere.
    public var jsonPath: String?
    /// TCP, UDP or Ferry's reliable UDP.
    public var transport: TransportProtocol
    /// UDP only: a gap this long (nanoseconds) without datagrams ends a transfer whose end marker was lost.
    public var udpIdle: UInt64

    public init(
        address: SocketAddress, standardPath: String, count: Int = 100, storeDirectory: String = "received",
        bufferSize: Int = 1 << 20, maximumSize: UInt64 = 16 << 30, idleTimeout: UInt64 = 10_000_000_000,
        jsonPath: String? = nil, transport: TransportProtocol = .tcp, udpIdle: UInt64 = 200_000_000
    ) {
        self.transport = transport
        self.udpIdle = udpIdle
        self.address = address
        self.standardPath = standardPath
        self.count = count
        self.storeDirectory = storeDirectory
        self.bufferSize = bufferSize
        self.maximumSize = maximumSize
        self.idleTimeout = idleTimeout
        self.jsonPath = jsonPath
    }
}
