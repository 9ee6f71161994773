import Glibc

/// The TCP client: a new connection per transfer, header with `MSG_MORE`, the file with `sendfile(2)`.
struct StreamSender: TransferSender {
    let configuration: ClientConfiguration
    let payload: FilePayload

    func send(_ n: Int) throws -> (UInt64, SendOutcome) {
        let header = TransferHeader(transfer: UInt32(truncatingIfNeeded: n), size: payload.size, name: payload.name).encoded()
        let (connection, started, slice) = try connect()
        let connected = MonotonicClock.now()
        let result = exchange(header: header, on: connection, stall: SlicedTimeout(limit: configuration.idleTimeout, slice: slice))
        let tcp = configuration.jsonPath == nil ? nil : Self.counts(of: connection, connectNanoseconds: connected - started)
        connection.close()
        switch result {
        case .success(let verdict): return (started, SendOutcome(status: verdict.status, words: verdict.summary, tcp: tcp))
        case .failure(let answer as ForeignAnswer):
            throw ClientErrors.notFerry(configuration, transfer: n, answered: answer.bytes)
        case .failure(let error): return (started, SendOutcome(status: nil, words: "verdict lost (\(error))", tcp: tcp))
        }
    }

    /// The handshake's share of the transfer and the kernel's `TCP_INFO`, read after the verdict.
    /// Only for `--json`, where it is written: the printed lines do not need the extra call.
    static func counts(of connection: Socket, connectNanoseconds: UInt64) -> TCPCounts? {
        guard let info = try? connection.tcpInfo() else { return nil }
        return TCPCounts(
            connectMs: Double(Formatting.microseconds(ofMilliseconds: Double(connectNanoseconds) / 1e6)) / 1000,
            retransmissions: info.retransmissions, rttMs: Double(info.rttMicroseconds) / 1000)
    }

    func close() {}

    /// The longest one `connect` attempt may take.
    static let attemptLimit: UInt64 = 1_500_000_000

    /// A connect bound shorter than this is not kept as the send timeout slice (`SlicedTimeout`):
    /// SO_SNDTIMEO is set again, to the usual slice.
    static let shortestSlice: UInt64 = 100_000_000

    /// Connects, retrying with a growing pause while the server is not listening yet. Per
    /// attempt: `socket`, SO_RCVTIMEO (the verdict wait), SO_SNDTIMEO (the connect bound, kept as
    /// the send slice), `connect`. Nagle stays on: the header goes with `MSG_MORE` and the file
    /// follows at once, so nothing small waits behind unacknowledged data but the file's tail.
    /// - Returns: the connection, the clock reading taken just before the successful `connect`,
    ///   and the send timeout left on it.
    private func connect() throws -> (Socket, UInt64, UInt64) {
        let server = configuration.server
        let deadline = MonotonicClock.now() + configuration.connectTimeout
        var pause: UInt64 = 1_000_000
        while true {
            let socket = try Socket(family: server.family, type: SOCK_STREAM, context: server.description)
            do {
                try socket.setTimeout(SO_RCVTIMEO, nanoseconds: configuration.idleTimeout)
            } catch {
                socket.close()
                throw error
            }
            let started = MonotonicClock.now()
            do {
                // At most 1.5 s per attempt: the kernel sends SYNs at 0, 1, 3, 7 s, so on a lossy link
                // three lost SYNs would use up 5 s. 1.5 s leaves the kernel's own retry at 1 s time to
                // complete; after that a fresh attempt sends its SYN at once.
                let remaining = deadline > started ? deadline - started : 1
                let bound = min(remaining, Self.attemptLimit)
                try socket.connect(to: server, timeoutNanoseconds: bound)
                // Kept as the send slice unless it is too short to wait in, or longer than the idle
                // timeout itself (then one call more sets the slice to the idle timeout).
                let slice = min(Self.attemptLimit, configuration.idleTimeout)
                if bound > slice || bound < min(Self.shortestSlice, slice) {
                    try socket.setTimeout(SO_SNDTIMEO, nanoseconds: slice)
                    return (socket, started, slice)
                }
                return (socket, started, bound)
            } catch {
                socket.close()
                let code = (error as? SystemError)?.code ?? 0
                let retryable = [ECONNREFUSED, ETIMEDOUT, ENETUNREACH, EHOSTUNREACH, ECONNRESET, EAGAIN, EINTR].contains(code)
                guard retryable, MonotonicClock.now() + pause < deadline else {
                    throw ClientErrors.unreachable(configuration, because: "\(error)", code: code)
                }
                usleep(useconds_t(pause / 1000))
                pause = min(pause * 2, 100_000_000)
            }
        }
    }

    /// Sends the header and the file and waits for the verdict.
    private func exchange(header: [UInt8], on connection: Socket, stall: SlicedTimeout) -> Result<Verdict, Error> {
        var sendError: Error?
        do {
            try header.withUnsafeBytes { bytes in
                try connection.send(bytes, flags: payload.size > 0 ? Int32(MSG_MORE) : 0, stall: stall)
            }
            if payload.size > 0 {
                try connection.sendFile(payload.file, count: payload.size, chunk: configuration.bufferSize, stall: stall)
            }
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
            if got > 0 { return .failure(ForeignAnswer(bytes: Array(reply[0..<got]))) }
            return .failure(sendError ?? SystemError(call: "recv", code: EPROTO, context: "\(connection.context): no verdict"))
        } catch {
            return .failure(sendError ?? error)
        }
    }
}

/// Bytes that came back where a verdict was due but are not one.
struct ForeignAnswer: Error {
    var bytes: [UInt8]
}
