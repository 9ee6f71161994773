/// Everything `client` was asked to do.
public struct ClientConfiguration: Sendable {
    /// The server's address and port.
    public var server: SocketAddress
    /// The file to send.
    public var filePath: String
    /// How many transfers.
    public var count: Int
    /// tcp: the most bytes handed to one `sendfile(2)` call; udp and rudp: payload bytes per
    /// datagram. Unless set, the protocol's default (`TransferDefaults.bufferSize(for:)`), also
    /// when `transport` changes later.
    public var bufferSize: Int {
        get { chosenBufferSize ?? TransferDefaults.bufferSize(for: transport) }
        set { chosenBufferSize = newValue }
    }
    private var chosenBufferSize: Int?
    /// How long (nanoseconds) to keep trying to connect for each transfer.
    public var connectTimeout: UInt64
    /// How long (nanoseconds) the server may stay silent while we send or await its verdict.
    public var idleTimeout: UInt64
    /// Where to write the JSON results, if anywhere.
    public var jsonPath: String?
    /// TCP, UDP or Ferry's reliable UDP.
    public var transport: TransportProtocol
    /// UDP only: how long the server waits after the last datagram; the client waits a little longer for the verdict.
    public var udpIdle: UInt64
    /// rudp only: datagrams in flight at once.
    public var window: Int
    /// udp only: the most bits per second to send (0: as fast as the socket takes them).
    public var udpRate: UInt64
    /// Keep every transfer's record in memory for the returned results (the executable does not:
    /// its records go to `--json` as they come, and its memory stays flat in the count).
    public var keepRecords = true

    public init(
        server: SocketAddress, filePath: String, count: Int = TransferDefaults.count, bufferSize: Int? = nil,
        connectTimeout: UInt64 = TransferDefaults.connectTimeout, idleTimeout: UInt64 = TransferDefaults.idleTimeout,
        jsonPath: String? = nil, transport: TransportProtocol = .tcp, udpIdle: UInt64 = TransferDefaults.udpIdle,
        window: Int = TransferDefaults.window, udpRate: UInt64 = TransferDefaults.udpRate
    ) {
        self.udpRate = udpRate
        self.transport = transport
        self.udpIdle = udpIdle
        self.window = window
        self.server = server
        self.filePath = filePath
        self.count = count
        chosenBufferSize = bufferSize
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.jsonPath = jsonPath
    }
}
