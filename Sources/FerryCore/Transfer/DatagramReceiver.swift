import Glibc

/// The server side of `udp` and `rudp` on a socket: the loop that feeds each datagram (and each
/// timeout) to a `DatagramServerSession`, which holds every rule, and performs what it answers:
/// sends, copies written at their offsets and compared with the standard, the printed lines.
struct DatagramReceiver {
    typealias Session = DatagramServerSession<SocketAddress>
    let context: ReceiverContext
    private var configuration: ServerConfiguration { context.configuration }

    init(_ context: ReceiverContext) { self.context = context }

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

    /// Where a transfer stands when the loop hands it back.
    private enum Milestone {
        case began(n: Int, Session.Announcement, from: SocketAddress)
        case finished(Session.Finished)
    }

    /// The socket and the buffers datagrams are read into and gathered in.
    private struct Wire {
        let socket: Socket
        let buffer: UnsafeMutableRawBufferPointer
        /// Where runs of consecutive segments gather before one write.
        let staging: UnsafeMutableRawBufferPointer
    }

    /// Serves every transfer; each record goes to the context's recorder.
    /// - Returns: the last name announced and the starts refused.
    func run(on socket: Socket) throws -> (String, [RefusedStart]) {
        let wire = Wire(
            socket: socket, buffer: .allocate(byteCount: 65_536, alignment: 16), staging: .allocate(byteCount: 1 << 20, alignment: 16))
        defer {
            wire.buffer.deallocate()
            wire.staging.deallocate()
        }
        context.sink.out(Messages.serverReady.text)
        context.sink.flush()
        let rules = Session.Rules(
            count: configuration.count, reliable: configuration.transport == .rudp, maximumSize: configuration.maximumSize,
            idle: configuration.transport == .rudp ? configuration.idleTimeout : configuration.udpIdle,
            linger: configuration.idleTimeout, fallbackName: context.fallbackName)
        var session = Session(rules, at: MonotonicClock.now())
        var copy: CopyProgress?
        var lastName = context.fallbackName
        var next: Milestone?
        while !session.isOver {
            guard let milestone = try next ?? pump(&session, wire, copy: &copy) else { continue }
            next = nil
            guard case .began(let n, let announcement, let peer) = milestone else { continue }
            let record: TransferRecord
            (record, next) = try receive(n, announcement, from: peer, session: &session, wire: wire)
            try context.recorder.record(record)
            lastName = announcement.name
        }
        if let note = session.unlistedNote { context.sink.diagnostic(note) }
        return (lastName, session.refused)
    }

    /// Receives transfer `n` into its copy until the session finishes it, judges the copy, and
    /// concludes it. Also returns the next transfer when the datagram that ended this one began it.
    private func receive(
        _ n: Int, _ announcement: Session.Announcement, from peer: SocketAddress, session: inout Session, wire: Wire
    ) throws -> (TransferRecord, Milestone?) {
        context.lines.starting(announcement.name, n)
        var outcome = Outcome(name: announcement.name)
        outcome.transfer = announcement.transfer
        var finished: Session.Finished?
        var progress: CopyProgress?
        // The copy's file is closed on every path, and kept or removed, by the store's scoped helper.
        var began = false
        do {
            outcome.stored = try context.store.receiving(n) { file in
                began = true
                var copy: CopyProgress? = CopyProgress(writer: CoalescingWriter(file: file, staging: wire.staging), standard: context.standard)
                while finished == nil {
                    guard case .finished(let ended)? = try pump(&session, wire, copy: &copy) else { continue }
                    finished = ended
                }
                copy!.flush()
                progress = copy
                if copy!.outOfSpace { return .discard }
                guard !finished!.reassembly.isComplete else { return .complete }
                if announcement.size > 0 { try? file.truncate(to: finished!.copyLength) }
                return .partial
            }
        } catch {
            // The socket failing is the server's end; the store failing (the copy could not be
            // opened, or not named when done) is this transfer's verdict.
            if began && finished == nil { throw error }
            outcome.apply(.storeFailed("\(error)"))
            if finished == nil { session.abandon { if case .finish(let ended) = $0 { finished = ended } } }
        }
        if let progress { progress.judge(&outcome) }
        let reassembly = finished!.reassembly
        if outcome.status == .identical {
            if !reassembly.isComplete {
                outcome.apply(.incomplete("\(reassembly.lost) of \(reassembly.segments) datagrams lost"))
            } else if !(progress?.matching ?? false) || announcement.size != context.standard.size {
                outcome.apply(.different(announcement.size == context.standard.size
                    ? "content differs from the standard" : "\(announcement.size) bytes, the standard has \(context.standard.size)"))
            }
        }
        let counts = DatagramCounts(
            expected: reassembly.segments, received: reassembly.arrived, lost: reassembly.lost,
            duplicated: reassembly.duplicated, outOfOrder: reassembly.outOfOrder)
        outcome.datagrams = counts
        let verdict = DatagramVerdict(
            transfer: announcement.transfer, status: outcome.status, detail: outcome.detailCode, received: outcome.received,
            expected: UInt32(counts.expected), arrived: UInt32(counts.received), lost: UInt32(counts.lost),
            duplicated: UInt32(counts.duplicated), outOfOrder: UInt32(counts.outOfOrder))
        var next: Milestone?
        var none: CopyProgress?
        session.conclude(verdict, at: MonotonicClock.now()) { perform($0, wire, copy: &none, milestone: &next) }
        return (context.lines.finished(n, outcome, startedAt: finished!.startedAt, peer: peer.description), next)
    }

    /// Feeds datagrams and timeouts to the session and performs its actions until it begins or
    /// finishes a transfer (returned) or is over (nil).
    private func pump(_ session: inout Session, _ wire: Wire, copy: inout CopyProgress?) throws -> Milestone? {
        var milestone: Milestone?
        while milestone == nil && !session.isOver {
            let now = MonotonicClock.now()
            if let (count, sender) = try wire.socket.receiveDatagram(into: wire.buffer) {
                session.receive(UnsafeRawBufferPointer(rebasing: wire.buffer[0..<count]), from: sender, at: now) {
                    perform($0, wire, copy: &copy, milestone: &milestone)
                }
            } else if let deadline = session.deadline, now >= deadline {
                session.expire(at: now) { perform($0, wire, copy: &copy, milestone: &milestone) }
            } else {
                session.drained { perform($0, wire, copy: &copy, milestone: &milestone) }
                // Lines are held back while a transfer runs, not while the server waits.
                if !session.isReceiving { context.sink.flush() }
                _ = try wire.socket.waitReadable(nanoseconds: session.deadline.map { $0 - now } ?? 3_600_000_000_000)
            }
        }
        return milestone
    }

    private func perform(_ action: Session.Action, _ wire: Wire, copy: inout CopyProgress?, milestone: inout Milestone?) {
        switch action {
        case .send(let datagram, let peer, let times):
            let bytes = datagram.encoded()
            for _ in 0..<times {
                bytes.withUnsafeBytes { try? wire.socket.sendDatagram($0, to: peer) }
            }
        case .write(let bytes, let offset):
            copy?.take(bytes, at: offset)
        case .refused(let refusal):
            context.sink.diagnostic("server: \(refusal.description)")
        case .begin(let n, let announcement, let peer):
            milestone = .began(n: n, announcement, from: peer)
        case .finish(let finished):
            milestone = .finished(finished)
        }
    }
}

/// One datagram copy as its segments arrive: written (gathered into runs) and compared with the
/// standard at their offsets; what failed is kept for the verdict.
private struct CopyProgress {
    var writer: CoalescingWriter
    let standard: StandardFile
    var received: UInt64 = 0
    var matching = true
    var writeFailure: String?
    var outOfSpace = false
    var compareFailure: String?

    init(writer: CoalescingWriter, standard: StandardFile) {
        self.writer = writer
        self.standard = standard
    }

    mutating func take(_ payload: UnsafeRawBufferPointer, at offset: UInt64) {
        do {
            try writer.write(payload, at: offset)
        } catch {
            failedWriting(error)
        }
        if matching {
            do {
                matching = try standard.matches(payload, at: offset)
            } catch {
                // The standard could not be read: that says nothing about the copy.
                compareFailure = compareFailure ?? "\(error)"
                matching = false
            }
        }
        received += UInt64(payload.count)
    }

    mutating func flush() {
        do {
            try writer.flush()
        } catch {
            failedWriting(error)
        }
    }

    private mutating func failedWriting(_ error: Error) {
        if CopyStore.isOutOfSpace(error) { outOfSpace = true }
        writeFailure = writeFailure ?? "\(error)"
    }

    /// Applies what failed while storing or comparing to the copy's outcome.
    func judge(_ outcome: inout Outcome) {
        outcome.received = received
        if outOfSpace {
            outcome.apply(.storeFailed(CopyStore.outOfSpaceNote))
        } else if let writeFailure {
            outcome.apply(.storeFailed(writeFailure))
        }
        if let compareFailure { outcome.apply(.storeFailed("comparing with the standard \(standard.path) failed: \(compareFailure)")) }
    }
}
