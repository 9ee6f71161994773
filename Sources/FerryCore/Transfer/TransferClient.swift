import Glibc

/// Sends one file `count` times and collects the server's verdicts: over TCP one new connection
/// per transfer, over udp/rudp one `start` handshake per transfer.
public final class TransferClient {
    private let configuration: ClientConfiguration
    private let sink: LineSink

    public init(configuration: ClientConfiguration, sink: LineSink) {
        self.configuration = configuration
        self.sink = sink
    }

    /// Runs every transfer and prints the required lines.
    /// - Throws: when the file cannot be read or the server cannot be reached in time, and at the
    ///   end when some transfers got no verdict (tcp and rudp; over udp a lost verdict is data).
    public func run() throws -> ResultsFile {
        let file = try OpenFile.forReading(configuration.filePath)
        defer { file.close() }
        let size = try file.size()
        let name = String(configuration.filePath.split(separator: "/").last ?? "")
        do {
            _ = try NameRules.validate(Array(name.utf8))
        } catch {
            throw FerryError("\(configuration.filePath): cannot be sent: \(error)")
        }
        let payload = FilePayload(file: file, size: size, name: name)
        let sender: any TransferSender = configuration.transport.isDatagram
            ? try DatagramSender(configuration: configuration, payload: payload)
            : StreamSender(configuration: configuration, payload: payload)
        defer { sender.close() }

        let recorder = try ResultsRecorder(role: "client", path: configuration.jsonPath, keepRecords: configuration.keepRecords)
        defer { recorder.abandon() }
        sink.out(Messages.clientConnecting.line(host: configuration.server.host))
        sink.flush()
        var lost = 0
        for n in stride(from: 1, through: configuration.count, by: 1) {
            sink.out(Messages.clientSending.line(file: name, n: n))
            let (started, outcome) = try sender.send(n)
            let ms = MonotonicClock.milliseconds(from: started, to: MonotonicClock.now())
            let printedMs = Double(Formatting.microseconds(ofMilliseconds: ms)) / 1000
            sink.out(Messages.clientFinishing.line(file: name, n: n))
            sink.out(Messages.clientTime.line(file: name, n: n, ms: Formatting.milliseconds(printedMs)))
            sink.out(Messages.clientVerdict(name, n, verdict: outcome.words))
            try recorder.record(TransferRecord(
                n: n, ms: printedMs, bytes: size, verdict: outcome.status,
                detail: outcome.status == .identical ? nil : outcome.words, datagrams: outcome.datagrams, tcp: outcome.tcp))
            if outcome.status == nil { lost += 1 }
            // A reader sees progress this often, without a wake-up per line.
            sink.flush(ifOlderThan: TransferDefaults.heldLinesLimit)
        }
        sink.out(Messages.clientAverage.line(file: name, ms: Formatting.milliseconds(recorder.summary.timing.averageMs)))
        let results = try recorder.finish(file: name)
        sink.out(Messages.done.text)
        sink.flush()
        if lost > 0 && configuration.transport != .udp {
            throw FerryError("\(lost) of \(results.summary.count) transfers got no verdict from \(configuration.server)")
        }
        return results
    }
}

/// The file being sent.
struct FilePayload {
    let file: OpenFile
    let size: UInt64
    let name: String
}

/// What the client learnt of one transfer.
struct SendOutcome {
    /// The server's verdict; nil when none arrived.
    var status: VerdictStatus?
    /// The verdict in words, or why it was lost.
    var words: String
    var datagrams: DatagramCounts?
    /// tcp, with `--json`: the handshake time and the kernel's counters.
    var tcp: TCPCounts?
}

/// Moves the file once, by one protocol.
protocol TransferSender {
    /// Sends transfer `n`.
    /// - Returns: the clock reading where timing starts, and the outcome.
    /// - Throws: only when the server cannot be reached at all.
    func send(_ n: Int) throws -> (UInt64, SendOutcome)
    /// Releases the sender's resources.
    func close()
}
