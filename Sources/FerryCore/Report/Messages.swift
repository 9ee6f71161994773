/// The lines the course assignment requires, word for word, and the extra lines Ferry adds.
/// The runner's `messages: seed` expectations are built from the same functions.
public enum Messages {
    // MARK: server

    public static let serverReady = "I am ready for any client side request"
    public static func serverStarting(_ name: String, _ n: Int) -> String {
        "I am starting receiving file \"\(name)\" for the \(Formatting.ordinal(n)) time"
    }
    public static func serverFinishing(_ name: String, _ n: Int) -> String {
        "I am finishing receiving file \"\(name)\" for the \(Formatting.ordinal(n)) time"
    }
    public static func serverTime(_ name: String, _ n: Int, _ ms: String) -> String {
        "The time used in millisecond to receive \"\(name)\" for \(Formatting.ordinal(n)) time is: \(ms)"
    }
    public static func serverAverage(_ name: String, _ ms: String) -> String {
        "The average time to receive file \"\(name)\" in millisecond is: \(ms)"
    }
    public static func serverIncorrect(_ incorrect: Int, of count: Int) -> String {
        let rate = count == 0 ? 0 : Double(incorrect) * 100 / Double(count)
        return "Incorrect transfers: \(incorrect) of \(count) (error rate \(Formatting.fixed(rate, decimals: 2))%)"
    }
    /// Extra line: where the copy went and the verdict.
    public static func serverStored(_ name: String, _ n: Int, path: String?, verdict: String) -> String {
        "The copy of \"\(name)\" for the \(Formatting.ordinal(n)) time is \(verdict), stored as \(path ?? "nothing")"
    }

    /// Extra line (udp, rudp): what happened to the data datagrams.
    public static func datagrams(_ name: String, _ n: Int, _ counts: DatagramCounts) -> String {
        "The datagrams of \"\(name)\" for the \(Formatting.ordinal(n)) time: \(counts.summary)"
    }

    // MARK: client

    public static func clientConnecting(_ host: String) -> String {
        "I am connecting to server side: \(host)"
    }
    public static func clientSending(_ name: String, _ n: Int) -> String {
        "I am sending file \"\(name)\" for the \(Formatting.ordinal(n)) time"
    }
    public static func clientFinishing(_ name: String, _ n: Int) -> String {
        "I am finishing sending file \"\(name)\" for the \(Formatting.ordinal(n)) time"
    }
    public static func clientTime(_ name: String, _ n: Int, _ ms: String) -> String {
        "The time used in millisecond to send \"\(name)\" for \(Formatting.ordinal(n)) time is: \(ms)"
    }
    public static func clientAverage(_ name: String, _ ms: String) -> String {
        "The average time to send file \"\(name)\" in millisecond is: \(ms)"
    }
    /// Extra line: what the server said of the transfer.
    public static func clientVerdict(_ name: String, _ n: Int, verdict: String) -> String {
        "The server's verdict on \"\(name)\" for the \(Formatting.ordinal(n)) time: \(verdict)"
    }

    // MARK: both

    public static let done = "I am done"
}
