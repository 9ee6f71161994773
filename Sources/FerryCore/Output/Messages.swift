/// The lines the course assignment requires, word for word, and the extra lines Ferry adds.
///
/// Each required line is an `AssignmentLine`: `server` and `client` print it with `line(...)`, and
/// the runner's `messages: seed` checks (`SeedMessages`) match its `template`. Nowhere else are these
/// words written.
public enum Messages {
    // MARK: server (requirement 9)

    /// 9a.
    public static let serverReady: AssignmentLine = "I am ready for any client side request"
    /// 9b.
    public static let serverStarting: AssignmentLine = "I am starting receiving file \"\(.file)\" for the \(.nth) time"
    /// 9c.
    public static let serverFinishing: AssignmentLine = "I am finishing receiving file \"\(.file)\" for the \(.nth) time"
    /// 9d.
    public static let serverTime: AssignmentLine = "The time used in millisecond to receive \"\(.file)\" for \(.nth) time is: \(.ms)"
    /// 9e.
    public static let serverAverage: AssignmentLine = "The average time to receive file \"\(.file)\" in millisecond is: \(.ms)"

    // MARK: client (requirement 10)

    /// 10a.
    public static let clientConnecting: AssignmentLine = "I am connecting to server side: \(.host)"
    /// 10b.
    public static let clientSending: AssignmentLine = "I am sending file \"\(.file)\" for the \(.nth) time"
    /// 10c.
    public static let clientFinishing: AssignmentLine = "I am finishing sending file \"\(.file)\" for the \(.nth) time"
    /// 10d.
    public static let clientTime: AssignmentLine = "The time used in millisecond to send \"\(.file)\" for \(.nth) time is: \(.ms)"
    /// 10e.
    public static let clientAverage: AssignmentLine = "The average time to send file \"\(.file)\" in millisecond is: \(.ms)"

    // MARK: both

    /// 9f and 10f.
    public static let done: AssignmentLine = "I am done"

    // MARK: Ferry's extra lines

    /// The start of the server's count line, which the runner reads back.
    public static let incorrectLabel = "Incorrect transfers: "

    /// Extra line: the server's count of incorrect transfers.
    public static func serverIncorrect(_ incorrect: Int, of count: Int) -> String {
        let rate = count == 0 ? 0 : Double(incorrect) * 100 / Double(count)
        return "\(incorrectLabel)\(incorrect) of \(count) (error rate \(Formatting.fixed(rate, decimals: 2))%)"
    }
    /// Extra line: where the copy went and the verdict.
    public static func serverStored(_ name: String, _ n: Int, path: String?, verdict: String) -> String {
        "The copy of \"\(name)\" for the \(Formatting.ordinal(n)) time is \(verdict), stored as \(path ?? "nothing")"
    }

    /// Extra line (udp, rudp): what happened to the data datagrams.
    public static func datagrams(_ name: String, _ n: Int, _ counts: DatagramCounts) -> String {
        "The datagrams of \"\(name)\" for the \(Formatting.ordinal(n)) time: \(counts.summary)"
    }

    /// Extra line: what the server said of the transfer.
    public static func clientVerdict(_ name: String, _ n: Int, verdict: String) -> String {
        "The server's verdict on \"\(name)\" for the \(Formatting.ordinal(n)) time: \(verdict)"
    }
}
