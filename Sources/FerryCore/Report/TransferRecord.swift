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

    public init(n: Int, ms: Double, bytes: UInt64, verdict: VerdictStatus?, detail: String? = nil, stored: String? = nil) {
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
