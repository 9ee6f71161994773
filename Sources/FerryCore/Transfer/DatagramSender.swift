import Glibc

/// The udp and rudp client: one connected datagram socket for all transfers. Each transfer is a
/// `start`/`ready` handshake (repeated until answered), the data segments, and `end`; rudp keeps
/// a window of segments in flight and retransmits what is not acknowledged. The datagrams
/// themselves go through a `DatagramLink`.
final class DatagramSender: TransferSender {
    private let configuration: ClientConfiguration
    private let payload: FilePayload
    private let link: DatagramLink
    private let segments: Int
    private var reliable: Bool { configuration.transport == .rudp }

    init(configuration: ClientConfiguration, payload: FilePayload) throws {
        self.configuration = configuration
        self.payload = payload
        let size = configuration.bufferSize
        segments = Int((payload.size + UInt64(size) - 1) / UInt64(size))
        link = try DatagramLink(server: configuration.server, payload: payload, payloadSize: size)
    }

    func close() {
        link.close()
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

    // MARK: phases

    /// Sends `start` until `ready` (or a refusing verdict) comes back, within `--connect-timeout`.
    /// - Returns: the refusal, or nil when the server is ready.
    private func handshake(_ transfer: UInt32) throws -> DatagramVerdict? {
        let start = Datagram.start(
            transfer: transfer, size: payload.size, segments: UInt32(segments), payloadSize: UInt32(configuration.bufferSize),
            name: payload.name)
        link.foreignDatagram = nil
        // `.some(nil)`: ready; `.some(verdict)`: refused; nil: no answer in time, or an answer that is not Ferry's.
        let answer: DatagramVerdict?? = try link.repeatUntilAnswered(
            start, wait: 20_000_000, maximumWait: 200_000_000, deadline: MonotonicClock.now() + configuration.connectTimeout,
            stopAtForeign: true
        ) { datagram in
            if case .ready = datagram { return .some(nil) }
            // Busy with another client: ask again until --connect-timeout.
            if case .verdict(let verdict) = datagram, verdict.detail != HeaderRefusal.busy.rawValue { return .some(verdict) }
            return nil
        }
        if let answer { return answer }
        if let foreign = link.foreignDatagram {
            throw ClientErrors.notFerry(configuration, transfer: Int(transfer), answered: foreign)
        }
        throw ClientErrors.unreachable(
            configuration, because: "no answer to the start of transfer \(transfer) (\(configuration.transport.rawValue))", code: nil)
    }

    /// udp: every segment once, paced to `--udp-rate`, then `end` three times.
    private func sendOnce(_ transfer: UInt32) throws {
        let bitsPerSegment = UInt64(8 * (link.slot + 28))
        let gap = configuration.udpRate == 0 ? 0 : bitsPerSegment * 1_000_000_000 / configuration.udpRate
        let began = MonotonicClock.now()
        var sequence = 0
        while sequence < segments {
            if gap > 0 {
                let due = began + UInt64(sequence) * gap
                if due > MonotonicClock.now() + 20_000 { usleep(useconds_t((due - MonotonicClock.now()) / 1000)) }
                while MonotonicClock.now() < due {}
            }
            let take = min(link.batch, segments - sequence)
            try link.transmitRun(transfer, first: sequence, count: take)
            sequence += take
        }
        let end = Datagram.end(transfer: transfer, size: payload.size, segments: UInt32(segments))
        for _ in 0..<3 { try link.transmit(end) }
    }

    /// udp: the verdict, which the server sends after `end` or after `--udp-idle` of silence.
    private func awaitVerdict(_ transfer: UInt32) -> DatagramVerdict? {
        let deadline = MonotonicClock.now() + configuration.udpIdle * 3 + 500_000_000
        while let datagram = link.receive(for: transfer, until: deadline) {
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
            try link.transmitRuns(transfer, sender.due(at: now))
            if let datagram = link.receive(for: transfer, until: sender.nextDeadline() ?? now) {
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
        let verdict = try link.repeatUntilAnswered(
            end, wait: sender.timer.timeout, maximumWait: RetransmissionTimer.maximum,
            deadline: MonotonicClock.now() + configuration.idleTimeout
        ) { datagram -> DatagramVerdict? in
            if case .verdict(let verdict) = datagram { return verdict }
            return nil
        }
        return (verdict, sender.retransmissions)
    }
}
