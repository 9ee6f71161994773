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
    /// tcp: the receive buffer, the most bytes taken from the socket at once; udp and rudp: payload
    /// bytes per datagram. Unless set, the protocol's default (`TransferDefaults.bufferSize(for:)`),
    /// also when `transport` changes later.
    public var bufferSize: Int {
        get { chosenBufferSize ?? TransferDefaults.bufferSize(for: transport) }
        set { chosenBufferSize = newValue }
    }
    private var chosenBufferSize: Int?
    /// Larger announced sizes are refused.
    public var maximumSize: UInt64
    /// A peer silent this long (nanoseconds) loses its transfer.
    public var idleTimeout: UInt64
    /// tcp: a new connection that has not sent its whole header this long (nanoseconds) after it was
    /// accepted is dropped and not counted.
    public var headerTimeout: UInt64 = TransferDefaults.headerTimeout
    /// Where to write the JSON results, if anywhere.
    public var jsonPath: String?
    /// Keep every transfer's record in memory for the returned results (the executable does not:
    /// its records go to `--json` as they come, and its memory stays flat in the count).
    public var keepRecords = true
    /// TCP, UDP or Ferry's reliable UDP.
    public var transport: TransportProtocol
    /// UDP only: a gap this long (nanoseconds) without datagrams ends a transfer whose end marker was lost.
    public var udpIdle: UInt64

    public init(
        address: SocketAddress, standardPath: String, count: Int = TransferDefaults.count,
        storeDirectory: String = TransferDefaults.store, bufferSize: Int? = nil, maximumSize: UInt64 = TransferDefaults.maximumSize,
        idleTimeout: UInt64 = TransferDefaults.idleTimeout, jsonPath: String? = nil, transport: TransportProtocol = .tcp,
        udpIdle: UInt64 = TransferDefaults.udpIdle
    ) {
        self.transport = transport
        self.udpIdle = udpIdle
        self.address = address
        self.standardPath = standardPath
        self.count = count
        self.storeDirectory = storeDirectory
        chosenBufferSize = bufferSize
        self.maximumSize = maximumSize
        self.idleTimeout = idleTimeout
        self.jsonPath = jsonPath
    }
}
