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
    /// File bytes of one batch, read with one `pread`.
    private let staging: UnsafeMutableRawBufferPointer
    private let segments: Int
    /// Header and payload of one data datagram.
    private let slot: Int
    /// Datagrams handed to the kernel in one `send`: more than one with UDP segmentation offload
    /// (UDP_SEGMENT), where the kernel cuts one buffer into datagrams of `slot` bytes.
    private var batch = 1
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
        slot = Datagram.dataHeaderLength + size
        if 2 * slot <= Datagram.maximumDatagram,
            (try? socket.setOption(Self.solUDP, Self.udpSegment, Int32(slot), label: "UDP_SEGMENT")) != nil
        {
            batch = min(64, Datagram.maximumDatagram / slot)
        }
        sendBuffer = .allocate(byteCount: batch * slot, alignment: 16)
        staging = .allocate(byteCount: batch * size, alignment: 16)
        receiveBuffer = .allocate(byteCount: 65_536, alignment: 16)
    }

    /// `SOL_UDP` and `UDP_SEGMENT` from <netinet/udp.h>, which Glibc's module does not export.
    private static let solUDP: Int32 = 17
    private static let udpSegment: Int32 = 103

    func close() {
        socket.close()
        sendBuffer.deallocate()
        staging.deallocate()
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

    /// Sends the consecutive segments `first..<first + count`, `batch` at a time: one `pread` for
    /// their bytes, each given its header in the send buffer, one `send` for the lot.
    private func transmitRun(_ transfer: UInt32, first: Int, count: Int) throws {
        let size = configuration.bufferSize
        var sequence = first
        while sequence < first + count {
            let take = min(batch, first + count - sequence)
            let offset = UInt64(sequence) * UInt64(size)
            let bytes = Int(min(UInt64(take * size), payload.size - offset))
            guard try payload.file.read(into: UnsafeMutableRawBufferPointer(rebasing: staging[0..<bytes]), at: offset) == bytes else {
                throw FerryError("\(payload.file.path): shrank while sending")
            }
            var total = 0
            for index in 0..<take {
                let length = min(size, bytes - index * size)
                let datagram = UnsafeMutableRawBufferPointer(rebasing: sendBuffer[index * slot..<index * slot + Datagram.dataHeaderLength + length])
                Datagram.writeDataHeader(
                    into: datagram, transfer: transfer, sequence: UInt32(sequence + index), offset: offset + UInt64(index * size))
                (datagram.baseAddress! + Datagram.dataHeaderLength).copyMemory(from: staging.baseAddress! + index * size, byteCount: length)
                total = index * slot + Datagram.dataHeaderLength + length
            }
            try sendBatch(UnsafeRawBufferPointer(rebasing: sendBuffer[0..<total]), datagrams: take)
            sequence += take
        }
    }

    /// Sends `datagrams` datagrams laid out `slot` bytes apart: in one call when segmentation
    /// offload is on, else one by one. Offload that the kernel refuses is turned off.
    private func sendBatch(_ bytes: UnsafeRawBufferPointer, datagrams: Int) throws {
        if batch > 1 {
            do {
                try sendQuietly(bytes)
                return
            } catch let error as SystemError where error.code == EIO || error.code == EINVAL {
                try? socket.setOption(Self.solUDP, Self.udpSegment, 0, label: "UDP_SEGMENT")
                batch = 1
            }
        }
        var start = 0
        while start < bytes.count {
            let end = min(start + slot, bytes.count)
            try sendQuietly(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            start = end
        }
    }

    /// Sends `sequences`, grouping consecutive ones into runs.
    private func transmitRuns(_ transfer: UInt32, _ sequences: [Int]) throws {
        var index = 0
        while index < sequences.count {
            var end = index + 1
            while end < sequences.count && sequences[end] == sequences[end - 1] + 1 { end += 1 }
            try transmitRun(transfer, first: sequences[index], count: end - index)
            index = end
        }
    }

    /// The next datagram for `transfer` that arrives before `deadline` (monotonic nanoseconds);
    /// others are dropped. Nil at the deadline, also when it has already passed.
    private func receive(for transfer: UInt32, until deadline: UInt64) -> Datagram? {
        while true {
            if let (count, _) = try? socket.receiveDatagram(into: receiveBuffer),
                let datagram = Datagram.decode(UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<count])),
                datagram.transfer == transfer
            {
                return datagram
            }
            let now = MonotonicClock.now()
            if now >= deadline { return nil }
            _ = try? socket.waitReadable(nanoseconds: deadline - now)
        }
    }

    /// Sends `request` again and again, waiting `wait` after each (doubling up to `maximumWait`),
    /// until `answer` accepts a datagram of the transfer or `deadline` passes.
    private func repeatUntilAnswered<Answer>(
        _ request: Datagram, wait: UInt64, maximumWait: UInt64, deadline: UInt64, answer: (Datagram) -> Answer?
    ) throws -> Answer? {
        var wait = wait
        while MonotonicClock.now() < deadline {
            try transmit(request)
            let until = min(MonotonicClock.now() + wait, deadline)
            while let datagram = receive(for: request.transfer, until: until) {
                if let accepted = answer(datagram) { return accepted }
            }
            wait = min(wait * 2, maximumWait)
        }
        return nil
    }

    // MARK: phases

    /// Sends `start` until `ready` (or a refusing verdict) comes back, within `--connect-timeout`.
    /// - Returns: the refusal, or nil when the server is ready.
    private func handshake(_ transfer: UInt32) throws -> DatagramVerdict? {
        let start = Datagram.start(
            transfer: transfer, size: payload.size, segments: UInt32(segments), payloadSize: UInt32(configuration.bufferSize),
            name: payload.name)
        // `.some(nil)`: ready; `.some(verdict)`: refused; nil: no answer in time.
        let answer: DatagramVerdict?? = try repeatUntilAnswered(
            start, wait: 20_000_000, maximumWait: 200_000_000, deadline: MonotonicClock.now() + configuration.connectTimeout
        ) { datagram in
            if case .ready = datagram { return .some(nil) }
            if case .verdict(let verdict) = datagram { return .some(verdict) }
            return nil
        }
        if let answer { return answer }
        throw unreachable(configuration, because: "no answer to the start of transfer \(transfer) (\(configuration.transport.rawValue))")
    }

    /// udp: every segment once, paced to `--udp-rate`, then `end` three times.
    private func sendOnce(_ transfer: UInt32) throws {
        let bitsPerSegment = UInt64(8 * (slot + 28))
        let gap = configuration.udpRate == 0 ? 0 : bitsPerSegment * 1_000_000_000 / configuration.udpRate
        let began = MonotonicClock.now()
        var sequence = 0
        while sequence < segments {
            if gap > 0 {
                let due = began + UInt64(sequence) * gap
                if due > MonotonicClock.now() + 20_000 { usleep(useconds_t((due - MonotonicClock.now()) / 1000)) }
                while MonotonicClock.now() < due {}
            }
            let take = min(batch, segments - sequence)
            try transmitRun(transfer, first: sequence, count: take)
            sequence += take
        }
        let end = Datagram.end(transfer: transfer, size: payload.size, segments: UInt32(segments))
        for _ in 0..<3 { try transmit(end) }
    }

    /// udp: the verdict, which the server sends after `end` or after `--udp-idle` of silence.
    private func awaitVerdict(_ transfer: UInt32) -> DatagramVerdict? {
        let deadline = MonotonicClock.now() + configuration.udpIdle * 3 + 500_000_000
        while let datagram = receive(for: transfer, until: deadline) {
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
            try transmitRuns(transfer, sender.due(at: now))
            if let datagram = receive(for: transfer, until: sender.nextDeadline() ?? now) {
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
        let verdict = try repeatUntilAnswered(
            end, wait: sender.timer.timeout, maximumWait: RetransmissionTimer.maximum,
            deadline: MonotonicClock.now() + configuration.idleTimeout
        ) { datagram -> DatagramVerdict? in
            if case .verdict(let verdict) = datagram { return verdict }
            return nil
        }
        return (verdict, sender.retransmissions)
    }
}
