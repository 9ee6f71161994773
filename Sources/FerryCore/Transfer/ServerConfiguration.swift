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

    public init(
        address: SocketAddress, standardPath: String, count: Int = 100, storeDirectory: String = "received",
        bufferSize: Int = 256 << 10, maximumSize: UInt64 = 16 << 30, idleTimeout: UInt64 = 10_000_000_000,
        jsonPath: String? = nil
    ) {
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
