/// Everything `client` was asked to do.
public struct ClientConfiguration: Sendable {
    /// The server's address and port.
    public var server: SocketAddress
    /// The file to send.
    public var filePath: String
    /// How many transfers.
    public var count: Int
    /// The most bytes handed to one `sendfile(2)` call.
    public var bufferSize: Int
    /// How long (nanoseconds) to keep trying to connect for each transfer.
    public var connectTimeout: UInt64
    /// How long (nanoseconds) the server may stay silent while we send or await its verdict.
    public var idleTimeout: UInt64
    /// Where to write the JSON results, if anywhere.
    public var jsonPath: String?

    public init(
        server: SocketAddress, filePath: String, count: Int = 100, bufferSize: Int = 256 << 10,
        connectTimeout: UInt64 = 5_000_000_000, idleTimeout: UInt64 = 10_000_000_000, jsonPath: String? = nil
    ) {
        self.server = server
        self.filePath = filePath
        self.count = count
        self.bufferSize = bufferSize
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.jsonPath = jsonPath
    }
}
