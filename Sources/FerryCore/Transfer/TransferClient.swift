import Glibc

/// Sends one file `count` times, one new TCP connection each, and collects the server's verdicts.
public final class TransferClient {
    private let configuration: ClientConfiguration
    private let sink: LineSink

    public init(configuration: ClientConfiguration, sink: LineSink) {
        self.configuration = configuration
        self.sink = sink
    }

    /// Runs every transfer and prints the required lines.
    /// - Throws: when the file cannot be read or the server cannot be reached in time.
    ///   A transfer that breaks off is recorded (no verdict) and the next one goes ahead.
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

        sink.out(Messages.clientConnecting(configuration.server.host))
        var records: [TransferRecord] = []
        records.reserveCapacity(configuration.count)
        for n in stride(from: 1, through: configuration.count, by: 1) {
            sink.out(Messages.clientSending(name, n))
            let header = TransferHeader(transfer: UInt32(truncatingIfNeeded: n), size: size, name: name).encoded()
            let (connection, started) = try connect()
            let result = send(header: header, file: file, size: size, on: connection)
            connection.close()
            let ms = MonotonicClock.milliseconds(from: started, to: MonotonicClock.now())
            let printedMs = Double(Formatting.microseconds(ofMilliseconds: ms)) / 1000

            sink.out(Messages.clientFinishing(name, n))
            sink.out(Messages.clientTime(name, n, Formatting.milliseconds(printedMs)))
            let words: String
            switch result {
            case .success(let verdict): words = verdict.summary
            case .failure(let error): words = "verdict lost (\(error))"
            }
            sink.out(Messages.clientVerdict(name, n, verdict: words))
            let verdict = try? result.get()
            records.append(TransferRecord(
                n: n, ms: printedMs, bytes: size, verdict: verdict?.status,
                detail: verdict == nil || verdict?.status != .identical ? words : nil))
        }
        let results = ResultsFile(role: "client", file: name, transfers: records)
        sink.out(Messages.clientAverage(name, Formatting.milliseconds(results.summary.timing.averageMs)))
        if let path = configuration.jsonPath { try results.write(to: path) }
        sink.out(Messages.done)
        let lost = records.filter { $0.verdict == nil }.count
        if lost > 0 {
            throw FerryError("\(lost) of \(records.count) transfers got no verdict from \(configuration.server)")
        }
        return results
    }

    /// Connects, retrying with a growing pause while the server is not listening yet.
    /// - Returns: the connection and the clock reading taken just before the successful `connect`.
    private func connect() throws -> (Socket, UInt64) {
        let server = configuration.server
        let deadline = MonotonicClock.now() + configuration.connectTimeout
        var pause: UInt64 = 1_000_000
        while true {
            let socket = try Socket(family: server.family, type: SOCK_STREAM, context: server.description)
            let started = MonotonicClock.now()
            do {
                try socket.connect(to: server, timeoutNanoseconds: deadline > started ? deadline - started : 1)
                return (socket, started)
            } catch {
                socket.close()
                let code = (error as? SystemError)?.code ?? 0
                let retryable = [ECONNREFUSED, ETIMEDOUT, ENETUNREACH, EHOSTUNREACH, ECONNRESET, EAGAIN].contains(code)
                guard retryable, MonotonicClock.now() + pause < deadline else {
                    let seconds = Formatting.fixed(Double(configuration.connectTimeout) / 1e9, decimals: 1)
                    throw FerryError("cannot reach the server at \(server) within \(seconds) s: \(error)")
                }
                usleep(useconds_t(pause / 1000))
                pause = min(pause * 2, 100_000_000)
            }
        }
    }

    /// Sends the header and the file and waits for the verdict.
    private func send(header: [UInt8], file: OpenFile, size: UInt64, on connection: Socket) -> Result<Verdict, Error> {
        var sendError: Error?
        do {
            try connection.setNoDelay()
            try connection.setIdleTimeout(nanoseconds: configuration.idleTimeout)
        } catch {
            return .failure(error)
        }
        do {
            try header.withUnsafeBytes { bytes in
                try connection.send(bytes, flags: size > 0 ? Int32(MSG_MORE) : 0)
            }
            if size > 0 { try connection.sendFile(file, count: size, chunk: configuration.bufferSize) }
        } catch {
            // The server may have refused the header and closed: its verdict can still be waiting.
            sendError = error
        }
        var reply = [UInt8](repeating: 0, count: Verdict.length)
        do {
            let got = try reply.withUnsafeMutableBytes { bytes in try connection.receiveFully(into: bytes) }
            if got == Verdict.length, let verdict = reply.withUnsafeBytes({ Verdict.decode($0) }) {
                return .success(verdict)
            }
            return .failure(sendError ?? SystemError(call: "recv", code: EPROTO, context: "\(connection.context): no verdict"))
        } catch {
            return .failure(sendError ?? error)
        }
    }
}
