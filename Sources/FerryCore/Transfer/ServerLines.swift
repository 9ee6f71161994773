/// Prints the server's lines for one transfer and turns its outcome into a record.
struct ServerLines {
    let sink: LineSink

    func starting(_ name: String, _ n: Int) {
        sink.out(Messages.serverStarting.line(file: name, n: n))
    }

    /// Prints finishing, time, stored (and datagram counts) lines and any diagnostic.
    /// `peer` is written out only for a diagnostic.
    func finished(_ n: Int, _ outcome: Outcome, startedAt started: UInt64, peer: @autoclosure () -> String) -> TransferRecord {
        let ms = MonotonicClock.milliseconds(from: started, to: MonotonicClock.now())
        let printedMs = Double(Formatting.microseconds(ofMilliseconds: ms)) / 1000
        sink.out(Messages.serverFinishing.line(file: outcome.name, n: n))
        sink.out(Messages.serverTime.line(file: outcome.name, n: n, ms: Formatting.milliseconds(printedMs)))
        sink.out(Messages.serverStored(outcome.name, n, path: outcome.stored, verdict: outcome.status.description))
        if let counts = outcome.datagrams { sink.out(Messages.datagrams(outcome.name, n, counts)) }
        if let detail = outcome.detail {
            sink.diagnostic("server: transfer \(n) from \(peer()): \(outcome.status): \(detail)")
        }
        return TransferRecord(
            n: n, ms: printedMs, bytes: outcome.received, verdict: outcome.status, detail: outcome.detail,
            stored: outcome.stored, datagrams: outcome.datagrams)
    }
}
