import Glibc

/// The work of one transfer on the server, with the buffers shared by all of them.
struct StreamReceiver {
    let context: ReceiverContext
    private var configuration: ServerConfiguration { context.configuration }
    private var standard: StandardFile { context.standard }
    private var store: CopyStore { context.store }
    private var sink: LineSink { context.sink }

    init(_ context: ReceiverContext) { self.context = context }

    /// The listening socket, bound and listening; the caller owns it.
    static func listen(_ configuration: ServerConfiguration) throws -> Socket {
        let address = configuration.address
        let listener = try Socket(family: address.family, type: SOCK_STREAM, context: address.description)
        do {
            try listener.setReuseAddress()
            // `accept` waits one slice; accepted connections inherit it, and wait out their idle
            // timeout slice by slice (`SlicedTimeout`): no calls per connection to set it.
            try listener.setIdleTimeout(nanoseconds: slice(configuration))
            // A connection is taken once its first bytes arrived (or it closed), not at the bare end of
            // the handshake: the header is then there at once, without a `recv` that finds nothing and
            // a `poll` for it, and a peer that never sends waits in the kernel, not in the header gate.
            try listener.setOption(Int32(IPPROTO_TCP), TCP_DEFER_ACCEPT, 1, label: "TCP_DEFER_ACCEPT")
            try listener.bind(to: address)
            try listener.listen()
        } catch {
            listener.close()
            throw error
        }
        return listener
    }

    /// How long the server's sockets wait before it looks up (flushes held lines, checks the idle
    /// timeout): one wait slice, or the idle timeout when that is shorter, and never under 1 ms
    /// (a timeout of 0 would mean no timeout at all).
    private static func slice(_ configuration: ServerConfiguration) -> UInt64 {
        max(min(TransferDefaults.heldLinesLimit, configuration.idleTimeout), 1_000_000)
    }

    /// The idle timeout of one wait, slice by slice.
    private var idle: SlicedTimeout { SlicedTimeout(limit: configuration.idleTimeout, slice: Self.slice(configuration)) }

    /// Prints the ready line and receives every transfer, one connection each, on `listener`.
    /// Each transfer's record goes to the context's recorder.
    /// - Returns: the last name announced, and no refused starts (a TCP transfer that is refused
    ///   still counts: its connection was made).
    func run(on listener: Socket) throws -> (String, [RefusedStart]) {
        // Room for a whole header with the longest name, whatever --buffer-size says.
        // One byte more, for the look past a payload's announced end (`receiveInto`).
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(configuration.bufferSize, TransferHeader.fixedLength + TransferHeader.maximumNameLength) + 1, alignment: 16)
        defer { buffer.deallocate() }

        sink.out(Messages.serverReady.text)
        sink.flush()
        var lastName = context.fallbackName
        var gate = HeaderGate(headerTimeout: configuration.headerTimeout, sink: sink)
        defer { gate.close() }
        var n = 1
        while n <= configuration.count {
            store.prepareNext()
            let (connection, filled) = try gate.next(from: listener, buffer: buffer)
            guard let (record, name) = receive(n, on: connection, buffer: buffer, filled: filled) else { continue }
            try context.recorder.record(record)
            lastName = name
            n += 1
        }
        return (lastName, [])
    }

    /// Receives transfer `n` on `connection`, closes it, prints its lines.
    /// - Returns: the record, and the name to print for it.
    /// - Returns: nil for a connection closed without a single byte: a client that gave up on its
    ///   connect, or a port probe. It is reported on stderr and not counted as a transfer.
    func receive(_ n: Int, on connection: Socket, buffer: UnsafeMutableRawBufferPointer, filled: Int) -> (TransferRecord, String)? {
        let started = MonotonicClock.now()
        var outcome = Outcome(name: context.fallbackName)
        var startPrinted = false
        do {
            let (header, payloadStart, payloadBytes, overran) = try readHeader(connection, buffer: buffer, filled: filled, into: &outcome)
            outcome.name = header.name
            outcome.transfer = header.transfer
            context.lines.starting(header.name, n)
            startPrinted = true
            // Payload bytes that came with the header are taken first, before the buffer is reused.
            let early = UnsafeRawBufferPointer(rebasing: buffer[payloadStart..<payloadStart + payloadBytes])
            try receivePayload(n, header: header, connection: connection, buffer: buffer, early: early, overran: overran, into: &outcome)
        } catch TransferFailure.empty {
            sink.diagnostic("server: connection from \(connection.context) \(HeaderGate.closedEmpty); not counted as a transfer")
            connection.close()
            return nil
        } catch let failure as TransferFailure {
            outcome.apply(failure)
        } catch {
            outcome.apply(.incomplete(String(describing: error)))
        }
        if !startPrinted { context.lines.starting(outcome.name, n) }
        let verdict = Verdict(
            status: outcome.status, detail: outcome.detailCode, transfer: outcome.transfer, received: outcome.received)
        // Held back (MSG_MORE) until the close right after it, so the verdict and the FIN leave in
        // one segment: the client has the end of the stream when it reads the verdict, its close
        // is the second, and TIME_WAIT stays here. Otherwise, whenever the client closed first
        // (a race the server loses when it is slowed, as under the runner on two CPUs), its
        // TIME_WAIT sockets piled up, 17,000 in 100,000 transfers, and each `connect` searched
        // them for a free port: the client spent 46 s of 79 in the kernel (docs/performance.md).
        // Only when nothing is left unread: closing with unread bytes sends a reset instead of a
        // FIN, and a held verdict would go with it (a refusal, a store failure, a peer that sent
        // more than it announced); those verdicts are sent at once, ahead of the reset.
        verdict.encoded().withUnsafeBytes { bytes in
            do { try connection.send(bytes, flags: outcome.readToEnd ? Int32(MSG_MORE) : 0, stall: idle) } catch { outcome.note("verdict not delivered: \(error)") }
        }
        connection.close()
        let record = context.lines.finished(n, outcome, startedAt: started, peer: connection.context)
        return (record, outcome.name)
    }

    /// Reads the rest of the header after the `filled` bytes the gate took, with as few calls as
    /// the data allows: each `recv` takes all that is there, so the header, the name and often the
    /// first payload bytes arrive together.
    /// - Returns: the header, how many payload bytes already sit in `buffer` after it, and whether
    ///   more came than the header announced.
    private func readHeader(
        _ connection: Socket, buffer: UnsafeMutableRawBufferPointer, filled: Int, into outcome: inout Outcome
    ) throws -> (TransferHeader, payloadStart: Int, payloadBytes: Int, overran: Bool) {
        var filled = try receive(atLeast: TransferHeader.fixedLength, from: connection, into: buffer, after: filled, what: "header")
        let fixed: TransferHeader.Fixed
        do {
            fixed = try TransferHeader.decodeFixed(UnsafeRawBufferPointer(rebasing: buffer[0..<TransferHeader.fixedLength]))
        } catch {
            throw TransferFailure.refused(error)
        }
        outcome.transfer = fixed.transfer
        let headerLength = TransferHeader.fixedLength + fixed.nameLength
        filled = try receive(atLeast: headerLength, from: connection, into: buffer, after: filled, what: "file name")
        let headerBytes = Array(UnsafeRawBufferPointer(rebasing: buffer[0..<headerLength]))
        do {
            let header = try TransferHeader.decode(headerBytes, maximumSize: configuration.maximumSize)
            let after = UInt64(filled - headerLength)
            return (header, headerLength, Int(min(after, header.size)), after > header.size)
        } catch {
            if let name = try? NameRules.validate(headerBytes[TransferHeader.fixedLength...]) { outcome.name = name }
            throw TransferFailure.refused(error)
        }
    }

    /// Receives into `buffer` after its first `filled` bytes until at least `needed` are there.
    private func receive(
        atLeast needed: Int, from connection: Socket, into buffer: UnsafeMutableRawBufferPointer, after filled: Int, what: String
    ) throws -> Int {
        var filled = filled
        var idle = idle
        while filled < needed {
            let got: Int
            do {
                got = try connection.receive(
                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), stall: &idle, whileWaiting: flushHeldLines)
            } catch let error as SystemError where error.code == EAGAIN {
                throw TransferFailure.incomplete(idleText)
            } catch let error as SystemError where error.code == ECONNRESET && filled == 0 {
                throw TransferFailure.empty
            }
            if got == 0 && filled == 0 { throw TransferFailure.empty }
            guard got > 0 else { throw TransferFailure.incomplete("connection ended inside the \(what) (\(filled) bytes)") }
            filled += got
        }
        return filled
    }

    /// `overran`: more bytes than announced came with the header.
    private func receivePayload(
        _ n: Int, header: TransferHeader, connection: Socket, buffer: UnsafeMutableRawBufferPointer,
        early: UnsafeRawBufferPointer, overran: Bool, into outcome: inout Outcome
    ) throws {
        var comparison = StreamingComparison(against: standard)
        var failure: TransferFailure?
        var received: UInt64 = 0
        var overran = overran
        do {
            outcome.stored = try store.receiving(n) { file in
                try receiveInto(file, header: header, connection: connection, buffer: buffer, early: early,
                                comparison: &comparison, received: &received, overran: &overran, failure: &failure)
            }
        } catch {
            outcome.received = received
            throw TransferFailure.storeFailed("\(error)")
        }
        outcome.received = received
        outcome.readToEnd = failure == nil && received == header.size && !overran
        if let failure { throw failure }
        if !comparison.isIdentical {
            let why = header.size == standard.size ? "content differs from the standard" :
                "\(header.size) bytes, the standard has \(standard.size)"
            throw TransferFailure.different(why)
        }
    }

    /// Reads the payload into `file`, comparing as it goes: a `write` per `recv`, so that writing
    /// overlaps the sender's work, except that the bytes that came with the header wait for the
    /// next `recv` and go out with it (one `write` fewer per transfer). Gathering more before
    /// writing (a 64 KiB copy received whole with `MSG_WAITALL`, or a megabyte at a time) saved
    /// calls but made transfers slower (docs/performance.md).
    /// - Returns: what to do with the copy: complete, partial, or nothing when the store is full.
    private func receiveInto(
        _ file: OpenFile, header: TransferHeader, connection: Socket, buffer: UnsafeMutableRawBufferPointer,
        early: UnsafeRawBufferPointer, comparison: inout StreamingComparison, received: inout UInt64, overran: inout Bool,
        failure: inout TransferFailure?
    ) throws -> CopyStore.Disposition {
        // One byte of the buffer is kept for the look past the announced end (below).
        let chunkLimit = min(configuration.bufferSize, buffer.count - 1)
        let limit = TransferDefaults.timeLimit(forSize: header.size)
        let deadline = MonotonicClock.now() &+ limit
        // Payload bytes that came with the header move to the buffer's start.
        var filled = early.count
        if filled > 0 { memmove(buffer.baseAddress!, early.baseAddress!, filled) }
        var idle = idle
        while received < header.size && failure == nil {
            let room = Int(min(UInt64(chunkLimit), header.size - received))
            // The read that ends the announced payload asks for one byte more, at no cost: one
            // that comes means the peer sent more than it announced (it is not stored).
            let end = UInt64(room) == header.size - received ? room + 1 : room
            // Whatever one `recv` gives, after the bytes that came with the header if any.
            let target = min(room, filled + 1)
            while filled < target {
                let got: Int
                do {
                    got = try connection.receive(
                        into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<end]), stall: &idle, whileWaiting: flushHeldLines)
                } catch {
                    failure = .incomplete((error as? SystemError)?.code == EAGAIN ? idleText : "\(error)")
                    break
                }
                if got == 0 {
                    failure = .incomplete("connection ended after \(received + UInt64(filled)) of \(header.size) bytes")
                    break
                }
                filled += got
            }
            if UInt64(filled) > header.size - received {
                overran = true
                filled = Int(header.size - received)
            }
            // What arrived is kept and compared, also when the transfer broke off.
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<filled])
            filled = 0
            do {
                try file.write(chunk)
            } catch {
                if CopyStore.isOutOfSpace(error) {
                    failure = .storeFailed(CopyStore.outOfSpaceNote)
                    return .discard
                }
                failure = .storeFailed("\(error)")
                break
            }
            try comparison.consume(chunk)
            received += UInt64(chunk.count)
            flushHeldLines()
            if failure == nil && received < header.size && MonotonicClock.now() > deadline {
                failure = .incomplete(
                    "\(received) of \(header.size) bytes after \(Formatting.fixed(Double(limit) / 1e9, decimals: 1)) s, "
                        + "the most a transfer of this size may take")
            }
        }
        return failure == nil ? .complete : .partial
    }

    /// Held lines go out while a transfer runs or waits, at least every wait slice.
    private func flushHeldLines() {
        sink.flush(ifOlderThan: TransferDefaults.heldLinesLimit)
    }

    private var idleText: String {
        "peer silent for \(Formatting.fixed(Double(configuration.idleTimeout) / 1e9, decimals: 1)) s (idle timeout)"
    }
}
