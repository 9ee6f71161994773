import Glibc

/// The server side of `udp` and `rudp`: one datagram socket; each transfer begins with a
/// `start` (answered by `ready`), brings data segments written straight to their place in the
/// copy and compared with the standard at their offset, and ends with `end`, a gap of
/// `--udp-idle` (udp), or the first datagram of the next transfer.
struct DatagramReceiver {
    let context: ReceiverContext
    private var configuration: ServerConfiguration { context.configuration }
    private var reliable: Bool { configuration.transport == .rudp }

    init(_ context: ReceiverContext) { self.context = context }

    /// A transfer the client announced with `start`.
    private struct Announcement {
        var transfer: UInt32
        var size: UInt64
        var segments: Int
        var payloadSize: Int
        var name: String
    }

    /// The bound datagram socket; the caller owns it. Says on stderr when the kernel grants a
    /// receive buffer too small for a fast sender.
    static func bind(_ configuration: ServerConfiguration, sink: LineSink) throws -> Socket {
        let address = configuration.address
        let socket = try Socket(family: address.family, type: SOCK_DGRAM, context: address.description)
        do {
            try socket.setReuseAddress()
            socket.requestBufferSizes(16 << 20)
            try socket.bind(to: address)
        } catch {
            socket.close()
            throw error
        }
        // Linux reports twice the usable size.
        let granted = Int((try? socket.option(SOL_SOCKET, SO_RCVBUF, label: "SO_RCVBUF")) ?? 0) / 2
        if granted < 4 << 20 {
            sink.diagnostic(
                "server: the receive buffer is only \(granted >> 10) KiB (net.core.rmem_max): a fast \(configuration.transport.rawValue) "
                    + "sender will lose datagrams here; run as root or raise net.core.rmem_max")
        }
        return socket
    }

    func run(on socket: Socket) throws -> ([TransferRecord], String, [RefusedStart]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { buffer.deallocate() }

        context.sink.out(Messages.serverReady.text)
        context.sink.flush()
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { staging.deallocate() }
        var session = Session(socket: socket, buffer: buffer, staging: staging)
        var records: [TransferRecord] = []
        var lastName = context.fallbackName
        // Only transfers that began count: a refused `start` (forged, or from a client that does
        // not fit) is reported and answered, never one of the `count` slots.
        while records.count < configuration.count {
            let (start, peer, _) = try waitForStart(&session)
            switch start {
            case .accepted(let announcement, let started):
                records.append(try receive(records.count + 1, announcement, from: peer, startedAt: started, session: &session))
                lastName = announcement.name
            case .refused(let name, let transfer, let refusal):
                note(RefusedStart(peer: peer.description, name: name, refusal: refusal), transfer: transfer, session: &session)
            }
        }
        linger(&session)
        return (records, lastName, session.refused)
    }

    /// After the last transfer, answers repeated `end`s until the clients have been quiet for
    /// half a second (at most `--idle-timeout`): a rudp client whose last verdict was lost asks
    /// again, and must not find the server gone.
    private func linger(_ session: inout Session) {
        context.sink.flush()
        let until = MonotonicClock.now() + configuration.idleTimeout
        while MonotonicClock.now() < until,
            let (count, peer) = try? nextDatagram(&session, timeout: 500_000_000)
        {
            guard let datagram = Datagram.decode(UnsafeRawBufferPointer(rebasing: session.buffer[0..<count])),
                let verdict = session.verdicts[Self.key(peer, datagram.transfer)]
            else { continue }
            send(.verdict(verdict), to: peer, on: session.socket)
        }
    }

    /// The socket, the buffer, and what carries over between transfers.
    private struct Session {
        let socket: Socket
        let buffer: UnsafeMutableRawBufferPointer
        /// Where runs of consecutive segments gather before one write.
        let staging: UnsafeMutableRawBufferPointer
        /// Transfers already finished, by client address and transfer number, with their verdicts:
        /// a repeated `start` or `end` of one of them is answered with its verdict, not taken for a
        /// new transfer. A client started again numbers its transfers from 1 on a new port, so it
        /// is never mistaken for the old one.
        var verdicts: [String: DatagramVerdict] = [:]
        /// Keys of `verdicts`, oldest first; only the latest 256 are kept.
        var verdictOrder: [String] = []

        mutating func remember(_ verdict: DatagramVerdict, for key: String) {
            verdicts[key] = verdict
            verdictOrder.append(key)
            if verdictOrder.count > 256 { verdicts[verdictOrder.removeFirst()] = nil }
        }
        /// A datagram of the next transfer that ended the previous one.
        var pending: (bytes: [UInt8], peer: SocketAddress)?
        /// Datagrams of finished transfers that arrived late.
        var late = 0
        /// `start`s refused and not counted, each (peer, transfer) once.
        var refused: [RefusedStart] = []
        var refusedKeys: Set<String> = []
    }

    /// Reports a refused `start` on stderr and keeps it for the results, once per peer and transfer.
    private func note(_ refusal: RefusedStart, transfer: UInt32, session: inout Session) {
        let key = "\(refusal.peer)#\(transfer)#\(refusal.detail)"
        guard session.refusedKeys.insert(key).inserted else { return }
        session.refused.append(refusal)
        context.sink.diagnostic("server: \(refusal.description)")
    }

    /// How a transfer began.
    private enum Start {
        case accepted(Announcement, startedAt: UInt64)
        /// A `start` that broke a rule; already answered with a refusal.
        case refused(name: String, transfer: UInt32, HeaderRefusal)
    }

    /// Waits (without limit, as `accept` would) for the `start` of a new transfer.
    private func waitForStart(_ session: inout Session) throws -> (Start, SocketAddress, UInt64) {
        while true {
            let (count, peer) = try nextDatagram(&session, timeout: nil)!
            let started = MonotonicClock.now()
            let bytes = UnsafeRawBufferPointer(rebasing: session.buffer[0..<count])
            guard let datagram = Datagram.decode(bytes) else {
                if let (transfer, refusal) = Datagram.refusedStart(bytes), session.verdicts[Self.key(peer, transfer)] == nil {
                    refuse(transfer, refusal, peer: peer, session: &session)
                    return (.refused(name: context.fallbackName, transfer: transfer, refusal), peer, started)
                }
                continue
            }
            // A repeated `start` or `end` of a finished transfer gets its verdict again.
            if let verdict = session.verdicts[Self.key(peer, datagram.transfer)] {
                if case .data = datagram {} else { send(.verdict(verdict), to: peer, on: session.socket) }
                session.late += 1
                continue
            }
            switch datagram {
            case .start(let transfer, let size, let segments, let payloadSize, let name):
                if let refusal = check(size: size, segments: segments, payloadSize: payloadSize) {
                    refuse(transfer, refusal, peer: peer, session: &session)
                    return (.refused(name: name, transfer: transfer, refusal), peer, started)
                }
                send(.ready(transfer: transfer), to: peer, on: session.socket)
                let announcement = Announcement(
                    transfer: transfer, size: size, segments: Int(segments), payloadSize: Int(payloadSize), name: name)
                return (.accepted(announcement, startedAt: started), peer, started)
            default:
                session.late += 1
            }
        }
    }

    private func check(size: UInt64, segments: UInt32, payloadSize: UInt32) -> HeaderRefusal? {
        if size > configuration.maximumSize { return .tooLarge }
        guard payloadSize >= 1, Int(payloadSize) <= Datagram.maximumPayload else { return .inconsistentSegments }
        let needed = (size + UInt64(payloadSize) - 1) / UInt64(payloadSize)
        return needed == UInt64(segments) ? nil : .inconsistentSegments
    }

    /// Tells a client that is not this transfer's that the server is busy; it is not remembered
    /// (the client may ask again and be served once the transfer is over).
    private func refuseBusy(_ transfer: UInt32, to peer: SocketAddress, on socket: Socket) {
        let verdict = DatagramVerdict(
            transfer: transfer, status: .refused, detail: HeaderRefusal.busy.rawValue, received: 0, expected: 0, arrived: 0, lost: 0,
            duplicated: 0, outOfOrder: 0)
        send(.verdict(verdict), to: peer, on: socket)
    }

    private func refuse(_ transfer: UInt32, _ refusal: HeaderRefusal, peer: SocketAddress, session: inout Session) {
        let verdict = DatagramVerdict(
            transfer: transfer, status: .refused, detail: refusal.rawValue, received: 0, expected: 0, arrived: 0, lost: 0,
            duplicated: 0, outOfOrder: 0)
        session.remember(verdict, for: Self.key(peer, transfer))
        send(.verdict(verdict), to: peer, on: session.socket, times: 3)
    }

    /// The key of a finished transfer: who sent it and its number.
    private static func key(_ peer: SocketAddress, _ transfer: UInt32) -> String { "\(peer)#\(transfer)" }

    /// The next datagram, from the one set aside or the socket; nil after `timeout` nanoseconds.
    /// `beforeWaiting` runs once when none is waiting and the call is about to sleep.
    private func nextDatagram(
        _ session: inout Session, timeout: UInt64?, beforeWaiting: () -> Void = {}
    ) throws -> (Int, SocketAddress)? {
        if let pending = session.pending {
            session.pending = nil
            pending.bytes.withUnsafeBytes { session.buffer.copyMemory(from: $0) }
            return (pending.bytes.count, pending.peer)
        }
        let deadline = timeout.map { MonotonicClock.now() + $0 }
        var waited = false
        while true {
            if let received = try session.socket.receiveDatagram(into: session.buffer) { return received }
            let now = MonotonicClock.now()
            if let deadline, now >= deadline { return nil }
            if !waited {
                waited = true
                beforeWaiting()
                if deadline == nil { context.sink.flush() }
            }
            _ = try session.socket.waitReadable(nanoseconds: deadline.map { $0 - now } ?? 3_600_000_000_000)
        }
    }

    private func send(_ datagram: Datagram, to peer: SocketAddress, on socket: Socket, times: Int = 1) {
        let bytes = datagram.encoded()
        for _ in 0..<times {
            bytes.withUnsafeBytes { try? socket.sendDatagram($0, to: peer) }
        }
    }

    private func receive(
        _ n: Int, _ announcement: Announcement, from peer: SocketAddress, startedAt started: UInt64, session: inout Session
    ) throws -> TransferRecord {
        context.lines.starting(announcement.name, n)
        var outcome = Outcome(name: announcement.name)
        outcome.transfer = announcement.transfer
        var reassembly = Reassembly(segments: announcement.segments)
        var matching = true
        var ended = false
        var writeFailure: String?
        var outOfSpace = false
        var compareFailure: String?
        let idle = reliable ? configuration.idleTimeout : configuration.udpIdle
        var sinceAck = 0
        var lastSender = peer
        let socket = session.socket
        // The copy's file is closed on every path, and kept or removed, by the store's scoped helper.
        var began = false
        do {
            outcome.stored = try context.store.receiving(n) { file in
                began = true
                var writer = CoalescingWriter(file: file, staging: session.staging)
                while !ended {
                    // rudp: acknowledge what arrived before going to sleep, so the sender is never left waiting.
                    let flushAck = {
                        if reliable && sinceAck > 0 {
                            acknowledge(announcement.transfer, reassembly, to: lastSender, on: socket)
                            sinceAck = 0
                        }
                    }
                    guard let (count, sender) = try nextDatagram(&session, timeout: idle, beforeWaiting: flushAck) else { break }
                    lastSender = sender
                    let bytes = UnsafeRawBufferPointer(rebasing: session.buffer[0..<count])
                    // Data segments are read in place; everything else is decoded.
                    if let header = DataHeader(bytes), header.transfer == announcement.transfer, sender == peer {
                        let sequence = Int(header.sequence)
                        let payload = UnsafeRawBufferPointer(rebasing: bytes[Datagram.dataHeaderLength...])
                        let expectedLength = sequence == announcement.segments - 1
                            ? Int(announcement.size) - sequence * announcement.payloadSize : announcement.payloadSize
                        guard header.offset == UInt64(sequence) * UInt64(announcement.payloadSize), payload.count == expectedLength,
                            reassembly.accept(sequence) == .new
                        else {
                            if reliable { acknowledge(announcement.transfer, reassembly, to: sender, on: session.socket) }
                            continue
                        }
                        do {
                            try writer.write(payload, at: header.offset)
                        } catch {
                            if CopyStore.isOutOfSpace(error) { outOfSpace = true }
                            writeFailure = "\(error)"
                        }
                        if matching {
                            do {
                                matching = try context.standard.matches(payload, at: header.offset)
                            } catch {
                                // The standard could not be read: that says nothing about the copy.
                                compareFailure = compareFailure ?? "\(error)"
                                matching = false
                            }
                        }
                        outcome.received += UInt64(payload.count)
                        if reliable {
                            sinceAck += 1
                            // Acknowledge every 16th segment, at once when a hole shows or the last one arrives,
                            // and before waiting for more (above).
                            if sinceAck >= 16 || sequence != reassembly.cumulative - 1 || reassembly.isComplete {
                                acknowledge(announcement.transfer, reassembly, to: sender, on: session.socket)
                                sinceAck = 0
                            }
                        }
                        continue
                    }
                    guard let datagram = Datagram.decode(bytes) else { continue }
                    switch datagram {
                    case .start(let transfer, _, _, _, let name) where sender != peer:
                        // The transfer belongs to its sender's address and port: anyone else waits.
                        refuseBusy(transfer, to: sender, on: session.socket)
                        note(RefusedStart(peer: sender.description, name: name, refusal: .busy), transfer: transfer, session: &session)
                    case .start(let transfer, _, _, _, _) where transfer == announcement.transfer:
                        send(.ready(transfer: transfer), to: sender, on: session.socket)
                    case .end(let transfer, _, _) where transfer == announcement.transfer && sender == peer:
                        if reliable && !reassembly.isComplete {
                            acknowledge(announcement.transfer, reassembly, to: sender, on: session.socket)
                        } else {
                            ended = true
                        }
                    case let other where sender == peer && other.transfer > announcement.transfer:
                        session.pending = (Array(bytes), sender)
                        ended = true
                    default:
                        session.late += 1
                    }
                }
                do {
                    try writer.flush()
                } catch {
                    if CopyStore.isOutOfSpace(error) { outOfSpace = true }
                    writeFailure = writeFailure ?? "\(error)"
                }
                if outOfSpace { return .discard }
                guard !reassembly.isComplete else { return .complete }
                if announcement.size > 0 {
                    // Keep what arrived at its place, missing ranges reading as zeros, and no further
                    // than the last segment that arrived: never the size a `start` merely announced.
                    let end = min(announcement.size, UInt64(reassembly.end) * UInt64(announcement.payloadSize))
                    try? file.truncate(to: end)
                }
                return .partial
            }
        } catch where !began {
            outcome.apply(.storeFailed("\(error)"))
            return finish(n, outcome, announcement, Reassembly(segments: 0), peer: peer, started: started, session: &session)
        }
        if outOfSpace {
            outcome.apply(.storeFailed(CopyStore.outOfSpaceNote))
        } else if let writeFailure {
            outcome.apply(.storeFailed(writeFailure))
        }
        if let compareFailure { outcome.apply(.storeFailed("comparing with the standard \(context.standard.path) failed: \(compareFailure)")) }
        let complete = reassembly.isComplete
        if outcome.status == .identical {
            if !complete {
                outcome.apply(.incomplete("\(reassembly.lost) of \(reassembly.segments) datagrams lost"))
            } else if !matching || announcement.size != context.standard.size {
                outcome.apply(.different(announcement.size == context.standard.size
                    ? "content differs from the standard" : "\(announcement.size) bytes, the standard has \(context.standard.size)"))
            }
        }
        return finish(n, outcome, announcement, reassembly, peer: peer, started: started, session: &session)
    }

    private func finish(
        _ n: Int, _ outcome: Outcome, _ announcement: Announcement, _ reassembly: Reassembly, peer: SocketAddress,
        started: UInt64, session: inout Session
    ) -> TransferRecord {
        var outcome = outcome
        let counts = DatagramCounts(
            expected: reassembly.segments, received: reassembly.arrived, lost: reassembly.lost,
            duplicated: reassembly.duplicated, outOfOrder: reassembly.outOfOrder)
        outcome.datagrams = counts
        let verdict = DatagramVerdict(
            transfer: announcement.transfer, status: outcome.status, detail: outcome.detailCode, received: outcome.received,
            expected: UInt32(counts.expected), arrived: UInt32(counts.received), lost: UInt32(counts.lost),
            duplicated: UInt32(counts.duplicated), outOfOrder: UInt32(counts.outOfOrder))
        session.remember(verdict, for: Self.key(peer, announcement.transfer))
        // udp has no retransmission, so the verdict goes out three times; rudp's client asks again.
        send(.verdict(verdict), to: peer, on: session.socket, times: reliable ? 1 : 3)
        return context.lines.finished(n, outcome, startedAt: started, peer: peer.description)
    }

    private func acknowledge(_ transfer: UInt32, _ reassembly: Reassembly, to peer: SocketAddress, on socket: Socket) {
        send(.ack(transfer: transfer, cumulative: UInt32(reassembly.cumulative), selective: reassembly.selective), to: peer, on: socket)
    }
}
