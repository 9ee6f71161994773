import Glibc

/// Receives `count` transfers, one connection each, storing and checking every copy.
public final class TransferServer {
    private let configuration: ServerConfiguration
    private let sink: LineSink

    public init(configuration: ServerConfiguration, sink: LineSink) {
        self.configuration = configuration
        self.sink = sink
    }

    /// Serves every transfer, prints the required lines and returns the results.
    /// - Throws: on a fatal error only (standard file missing, store not writable, port in use);
    ///   a bad transfer is counted, never thrown.
    public func run() throws -> ResultsFile {
        let standard = try StandardFile(path: configuration.standardPath, chunkSize: configuration.bufferSize)
        defer { standard.close() }
        let standardName = String(configuration.standardPath.split(separator: "/").last ?? "standard")
        let store = try CopyStore(directory: configuration.storeDirectory, standardName: standardName)
        try store.checkFree(count: configuration.count)

        let address = configuration.address
        let listener = try Socket(family: address.family, type: SOCK_STREAM, context: address.description)
        defer { listener.close() }
        try listener.setReuseAddress()
        try listener.bind(to: address)
        try listener.listen()

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: configuration.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        let session = ReceiveSession(
            configuration: configuration, standard: standard, store: store, buffer: buffer, sink: sink,
            fallbackName: standardName)

        sink.out(Messages.serverReady)
        var records: [TransferRecord] = []
        records.reserveCapacity(configuration.count)
        var lastName = standardName
        for n in stride(from: 1, through: configuration.count, by: 1) {
            let connection = try acceptRetryingAborted(listener)
            let (record, name) = session.receive(n, on: connection)
            records.append(record)
            lastName = name
        }
        let results = ResultsFile(role: "server", file: lastName, transfers: records)
        sink.out(Messages.serverAverage(lastName, Formatting.milliseconds(results.summary.timing.averageMs)))
        sink.out(Messages.serverIncorrect(results.summary.incorrect, of: results.summary.count))
        if let path = configuration.jsonPath { try results.write(to: path) }
        sink.out(Messages.done)
        return results
    }

    /// Accepts the next connection; one that the peer aborted before we took it is skipped.
    private func acceptRetryingAborted(_ listener: Socket) throws -> Socket {
        while true {
            do {
                return try listener.accept().socket
            } catch let error as SystemError where [ECONNABORTED, EPROTO, ENETDOWN, EHOSTUNREACH, ENETUNREACH].contains(error.code) {
                sink.diagnostic("server: accept: \(error.reason); waiting for the next client")
            }
        }
    }
}

/// The work of one transfer on the server, with the buffers shared by all of them.
struct ReceiveSession {
    let configuration: ServerConfiguration
    let standard: StandardFile
    let store: CopyStore
    let buffer: UnsafeMutableRawBufferPointer
    let sink: LineSink
    let fallbackName: String

    /// Receives transfer `n` on `connection`, closes it, prints its lines.
    /// - Returns: the record, and the name to print for it.
    func receive(_ n: Int, on connection: Socket) -> (TransferRecord, String) {
        let started = MonotonicClock.now()
        var outcome = Outcome(name: fallbackName)
        var startPrinted = false
        do {
            try connection.setIdleTimeout(nanoseconds: configuration.idleTimeout)
            let header = try readHeader(connection, into: &outcome)
            outcome.name = header.name
            outcome.transfer = header.transfer
            sink.out(Messages.serverStarting(header.name, n))
            startPrinted = true
            try receivePayload(n, header: header, connection: connection, into: &outcome)
        } catch let failure as TransferFailure {
            outcome.apply(failure)
        } catch {
            outcome.apply(.incomplete(String(describing: error)))
        }
        if !startPrinted { sink.out(Messages.serverStarting(outcome.name, n)) }
        let verdict = Verdict(
            status: outcome.status, detail: outcome.detailCode, transfer: outcome.transfer, received: outcome.received)
        verdict.encoded().withUnsafeBytes { bytes in
            do { try connection.send(bytes) } catch { outcome.note("verdict not delivered: \(error)") }
        }
        connection.close()
        let ms = MonotonicClock.milliseconds(from: started, to: MonotonicClock.now())
        let printedMs = Double(Formatting.microseconds(ofMilliseconds: ms)) / 1000

        sink.out(Messages.serverFinishing(outcome.name, n))
        sink.out(Messages.serverTime(outcome.name, n, Formatting.milliseconds(printedMs)))
        sink.out(Messages.serverStored(outcome.name, n, path: outcome.stored, verdict: outcome.status.description))
        if let detail = outcome.detail {
            sink.diagnostic("server: transfer \(n) from \(connection.context): \(outcome.status): \(detail)")
        }
        let record = TransferRecord(
            n: n, ms: printedMs, bytes: outcome.received, verdict: outcome.status, detail: outcome.detail,
            stored: outcome.stored)
        return (record, outcome.name)
    }

    private func readHeader(_ connection: Socket, into outcome: inout Outcome) throws -> TransferHeader {
        var fixedBytes = [UInt8](repeating: 0, count: TransferHeader.fixedLength)
        let got = try fixedBytes.withUnsafeMutableBytes { try receiveOrTimeout(connection, $0) }
        guard got == TransferHeader.fixedLength else {
            throw TransferFailure.incomplete("connection ended after \(got) of \(TransferHeader.fixedLength) header bytes")
        }
        let fixed: TransferHeader.Fixed
        do {
            fixed = try fixedBytes.withUnsafeBytes { raw in try TransferHeader.decodeFixed(raw) }
        } catch let refusal as HeaderRefusal {
            throw TransferFailure.refused(refusal)
        }
        outcome.transfer = fixed.transfer
        var nameBytes = [UInt8](repeating: 0, count: fixed.nameLength)
        let gotName = try nameBytes.withUnsafeMutableBytes { try receiveOrTimeout(connection, $0) }
        guard gotName == fixed.nameLength else {
            throw TransferFailure.incomplete("connection ended inside the file name")
        }
        do {
            return try TransferHeader.decode(fixedBytes + nameBytes, maximumSize: configuration.maximumSize)
        } catch {
            if let name = try? NameRules.validate(nameBytes) { outcome.name = name }
            throw TransferFailure.refused(error)
        }
    }

    private func receivePayload(_ n: Int, header: TransferHeader, connection: Socket, into outcome: inout Outcome) throws {
        let file: OpenFile
        do {
            file = try store.begin(n)
        } catch {
            throw TransferFailure.storeFailed("\(error)")
        }
        var comparison = StreamingComparison(against: standard)
        var failure: TransferFailure?
        var received: UInt64 = 0
        while received < header.size {
            let want = Int(min(UInt64(buffer.count), header.size - received))
            let got: Int
            do {
                got = try connection.receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
            } catch {
                failure = .incomplete((error as? SystemError)?.code == EAGAIN ? idleText : "\(error)")
                break
            }
            if got == 0 {
                failure = .incomplete("connection ended after \(received) of \(header.size) bytes")
                break
            }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<got])
            do {
                try file.write(chunk)
            } catch {
                failure = .storeFailed("\(error)")
                break
            }
            try comparison.consume(chunk)
            received += UInt64(got)
        }
        file.close()
        outcome.received = received
        do {
            outcome.stored = try store.keep(n, complete: failure == nil)
        } catch {
            store.discard(n)
            throw TransferFailure.storeFailed("\(error)")
        }
        if let failure { throw failure }
        if !comparison.isIdentical {
            let why = header.size == standard.size ? "content differs from the standard" :
                "\(header.size) bytes, the standard has \(standard.size)"
            throw TransferFailure.different(why)
        }
    }

    private var idleText: String {
        "peer silent for \(Formatting.fixed(Double(configuration.idleTimeout) / 1e9, decimals: 1)) s (idle timeout)"
    }

    /// Fills `buffer` unless the stream ends; a receive timeout becomes an `incomplete` failure.
    private func receiveOrTimeout(_ connection: Socket, _ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do {
            return try connection.receiveFully(into: buffer)
        } catch let error as SystemError where error.code == EAGAIN {
            throw TransferFailure.incomplete(idleText)
        }
    }
}

/// Why a transfer is not correct.
enum TransferFailure: Error {
    case incomplete(String)
    case refused(HeaderRefusal)
    case different(String)
    case storeFailed(String)
}

/// What the server learnt about one transfer so far.
struct Outcome {
    var name: String
    var transfer: UInt32 = 0
    var received: UInt64 = 0
    var status = VerdictStatus.identical
    var detailCode: UInt8 = 0
    var detail: String?
    var stored: String?

    mutating func apply(_ failure: TransferFailure) {
        switch failure {
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
