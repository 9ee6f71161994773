import Glibc

/// The udp and rudp client: one connected datagram socket for all transfers. Each transfer is a
/// `start`/`ready` handshake (repeated until answered), the data segments, and `end`; rudp keeps
/// a window of segments in flight and retransmits what is not acknowledged.
final class DatagramSender: TransferSender {
    private let configuration: ClientConfiguration
    private let payload: FilePayload
    private let socket: Socket
    private let sendBuffer: UnsafeMutableRawBufferPointer
    private let receiveBuffer: UnsafeMutableRawBufferPointer
    private let segments: Int
    private var reliable: Bool { configuration.transport == .rudp }

    init(configuration: ClientConfiguration, payload: FilePayload) throws {
        self.configuration = configuration
        self.payload = payload
        let size = configuration.bufferSize
        segments = Int((payload.size + UInt64(size) - 1) / UInt64(size))
        socket = try Socket(family: configuration.server.family, type: SOCK_DGRAM, context: configuration.server.description)
        socket.requestBufferSizes(4 << 20)
        do {
            try socket.connectDatagram(to: configuration.server)
        } catch {
            socket.close()
            throw error
        }
        sendBuffer = .allocate(byteCount: Datagram.dataHeaderLength + size, alignment: 16)
        receiveBuffer = .allocate(byteCount: 65_536, alignment: 16)
    }

    func close() {
        socket.close()
        sendBuffer.deallocate()
        receiveBuffer.deallocate()
    }

    func send(_ n: Int) throws -> (UInt64, SendOutcome) {
        let transfer = UInt32(truncatingIfNeeded: n)
        let started = MonotonicClock.now()
        if let refused = try handshake(transfer) { return (started, outcome(refused)) }
        let verdict: DatagramVerdict?
        var retransmitted: Int?
        if reliable {
            let (answer, resent) = try sendReliably(transfer)
            verdict = answer
            retransmitted = resent
        } else {
            try sendOnce(transfer)
            verdict = awaitVerdict(transfer)
        }
        guard let verdict else {
            return (started, SendOutcome(status: nil, words: "verdict lost (no verdict datagram arrived)"))
        }
        var result = outcome(verdict)
        result.datagrams?.retransmitted = retransmitted
        if let counts = result.datagrams { result.words += " (\(counts.summary))" }
        return (started, result)
    }

    private func outcome(_ verdict: DatagramVerdict) -> SendOutcome {
        let summary = Verdict(status: verdict.status, detail: verdict.detail, transfer: verdict.transfer, received: verdict.received).summary
        let counts = verdict.status == .refused ? nil : DatagramCounts(
            expected: Int(verdict.expected), received: Int(verdict.arrived), lost: Int(verdict.lost),
            duplicated: Int(verdict.duplicated), outOfOrder: Int(verdict.outOfOrder))
        return SendOutcome(status: verdict.status, words: summary, datagrams: counts)
    }

    // MARK: datagram I/O

    private func transmit(_ datagram: Datagram) throws {
        try datagram.encoded().withUnsafeBytes { try sendQuietly($0) }
    }

    /// Sends one datagram; a refusal by the kernel (ICMP port unreachable seen earlier) is not fatal.
    private func sendQuietly(_ bytes: UnsafeRawBufferPointer) throws {
        do {
            try socket.sendDatagram(bytes)
        } catch let error as SystemError where error.code == ECONNREFUSED {
            return
        }
    }

    /// Sends data segment `sequence`, read from the file straight into the datagram.
    private func transmitSegment(_ transfer: UInt32, _ sequence: Int) throws {
        let offset = UInt64(sequence) * UInt64(configuration.bufferSize)
        let length = Int(min(UInt64(configuration.bufferSize), payload.size - offset))
        let body = UnsafeMutableRawBufferPointer(rebasing: sendBuffer[Datagram.dataHeaderLength..<Datagram.dataHeaderLength + length])
        guard try payload.file.read(into: body, at: offset) == length else {
            throw FerryError("\(payload.file.path): shrank while sending")
        }
        Datagram.writeDataHeader(into: sendBuffer, transfer: transfer, sequence: UInt32(sequence), offset: offset)
        try sendQuietly(UnsafeRawBufferPointer(rebasing: sendBuffer[0..<Datagram.dataHeaderLength + length]))
    }

    /// The next datagram for `transfer` within `nanoseconds`; others are dropped.
    private func receive(for transfer: UInt32, within nanoseconds: UInt64) -> Datagram? {
        let deadline = MonotonicClock.now() + nanoseconds
        while true {
            if let (count, _) = try? socket.receiveDatagram(into: receiveBuffer),
                let datagram = Datagram.decode(UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<count])),
                datagram.transfer == transfer
            {
                return datagram
            }
            let now = MonotonicClock.now()
            if now >= deadline { return nil }
            if (try? socket.waitReadable(nanoseconds: deadline - now)) != true && MonotonicClock.now() >= deadline { return nil }
        }
    }

    // MARK: phases

    /// Sends `start` until `ready` (or a refusing verdict) comes back, within `--connect-timeout`.
    /// - Returns: the refusal, or nil when the server is ready.
    private func handshake(_ transfer: UInt32) throws -> DatagramVerdict? {
        let start = Datagram.start(
            transfer: transfer, size: payload.size, segments: UInt32(segments), payloadSize: UInt32(configuration.bufferSize),
            name: payload.name)
        let deadline = MonotonicClock.now() + configuration.connectTimeout
        var wait: UInt64 = 20_000_000
        while MonotonicClock.now() < deadline {
            try transmit(start)
            let until = min(MonotonicClock.now() + wait, deadline)
            while let datagram = receive(for: transfer, within: until > MonotonicClock.now() ? until - MonotonicClock.now() : 0) {
                if case .ready = datagram { return nil }
                if case .verdict(let verdict) = datagram { return verdict }
            }
            wait = min(wait * 2, 200_000_000)
        }
        throw unreachable(configuration, because: "no answer to the start of transfer \(transfer) (\(configuration.transport.rawValue))")
    }

    /// udp: every segment once, paced to `--udp-rate`, then `end` three times.
    private func sendOnce(_ transfer: UInt32) throws {
        let bitsPerSegment = UInt64(8 * (configuration.bufferSize + Datagram.dataHeaderLength + 28))
        let gap = configuration.udpRate == 0 ? 0 : bitsPerSegment * 1_000_000_000 / configuration.udpRate
        let began = MonotonicClock.now()
        for sequence in 0..<segments {
            if gap > 0 {
                let due = began + UInt64(sequence) * gap
                while MonotonicClock.now() < due {}
            }
            try transmitSegment(transfer, sequence)
        }
        let end = Datagram.end(transfer: transfer, size: payload.size, segments: UInt32(segments))
        for _ in 0..<3 { try transmit(end) }
    }

    /// udp: the verdict, which the server sends after `end` or after `--udp-idle` of silence.
    private func awaitVerdict(_ transfer: UInt32) -> DatagramVerdict? {
        let limit = configuration.udpIdle * 3 + 500_000_000
        let deadline = MonotonicClock.now() + limit
        while MonotonicClock.now() < deadline {
            guard let datagram = receive(for: transfer, within: deadline - MonotonicClock.now()) else { return nil }
            if case .verdict(let verdict) = datagram { return verdict }
        }
        return nil
    }

    /// rudp: the window of segments until all are acknowledged, then `end` until the verdict comes.
    private func sendReliably(_ transfer: UInt32) throws -> (DatagramVerdict?, Int) {
        var sender = ReliableSender(segments: segments, window: configuration.window)
        var lastProgress = MonotonicClock.now()
        while !sender.isComplete {
            let now = MonotonicClock.now()
            for sequence in sender.due(at: now) { try transmitSegment(transfer, sequence) }
            let deadline = sender.nextDeadline() ?? now
            let wait = deadline > MonotonicClock.now() ? deadline - MonotonicClock.now() : 0
            if let datagram = receive(for: transfer, within: wait) {
                switch datagram {
                case .ack(_, let cumulative, let selective):
                    sender.acknowledge(cumulative: Int(cumulative), selective: selective, at: MonotonicClock.now())
                    lastProgress = MonotonicClock.now()
                case .verdict(let verdict):
                    return (verdict, sender.retransmissions)
                default:
                    break
                }
            }
            if MonotonicClock.now() - lastProgress > configuration.idleTimeout { return (nil, sender.retransmissions) }
        }
        let end = Datagram.end(transfer: transfer, size: payload.size, segments: UInt32(segments))
        var timer = sender.timer
        let deadline = MonotonicClock.now() + configuration.idleTimeout
        while MonotonicClock.now() < deadline {
            try transmit(end)
            let until = min(MonotonicClock.now() + timer.timeout, deadline)
            while let datagram = receive(for: transfer, within: until > MonotonicClock.now() ? until - MonotonicClock.now() : 0) {
                if case .verdict(let verdict) = datagram { return (verdict, sender.retransmissions) }
            }
            timer.expired()
        }
        return (nil, sender.retransmissions)
    }
}
