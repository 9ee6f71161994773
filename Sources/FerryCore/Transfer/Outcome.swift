/// What the server learnt about one transfer, and the lines it prints for it.
struct Outcome {
    var name: String
    var transfer: UInt32 = 0
    var received: UInt64 = 0
    var status = VerdictStatus.identical
    var detailCode: UInt8 = 0
    var detail: String?
    var stored: String?
    /// Datagram counts, for udp and rudp.
    var datagrams: DatagramCounts?
    /// TCP: the announced payload was read whole, without a failure, and no byte beyond it was
    /// seen (the verdict is then `identical` or `different`), so closing sends a FIN, not a reset
    /// that would throw away a verdict still held back.
    var readToEnd = false

    mutating func apply(_ failure: TransferFailure) {
        switch failure {
        case .empty: status = .incomplete; note("connection closed without sending anything")
        case .incomplete(let why): status = .incomplete; note(why)
        case .refused(let reason): status = .refused; detailCode = reason.rawValue; note(reason.description)
        case .different(let why): status = .different; note(why)
        case .storeFailed(let why): status = .storeFailed; note(why)
        }
    }

    mutating func note(_ text: String) {
        detail = detail.map { "\($0); \(text)" } ?? text
    }
}
