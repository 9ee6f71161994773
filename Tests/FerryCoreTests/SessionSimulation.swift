import FerryCore
import FerryTestSupport

/// Who sends a datagram in a simulation.
enum Party: Hashable, CustomStringConvertible {
    case client
    /// A third party on another address and port.
    case stranger(Int)
    case server

    var description: String {
        switch self {
        case .client: "10.0.0.1:4000"
        case .stranger(let k): "10.0.0.9:\(5000 + k)"
        case .server: "10.0.0.2:5001"
        }
    }
}

/// A datagram server session, a real client (udp, or rudp with `ReliableSender`) and any third
/// party, on one virtual clock across a channel with delay and seeded loss: wire bytes in, wire
/// bytes out, no sockets. The server's side performs the session's actions as the socket loop
/// does: copies are kept in memory and judged against the file when a transfer finishes.
struct SessionSimulation {
    typealias Session = DatagramServerSession<Party>

    var reliable = true
    var count = 1
    var file: [UInt8] = (0..<10_000).map { UInt8($0 % 251) }
    var payloadSize = 1_000
    var window = 8
    var delay: UInt64 = 100_000
    var loss = 0.0
    var seed: UInt64 = 7
    var idle: UInt64 = 200_000_000
    var maximumSize: UInt64 = 1 << 34
    /// Datagrams the third party sends, at the given times.
    var injections: [(time: UInt64, from: Party, bytes: [UInt8])] = []
    /// Transfers the client makes (it stops after this many verdicts).
    var clientTransfers = 1
    /// The time the run stops at, whatever is left.
    var horizon: UInt64 = 60_000_000_000

    /// What each copy the server began looked like at its end.
    struct Copy {
        var n: Int
        var from: Party
        var announcement: Session.Announcement
        var written: [UInt64: [UInt8]] = [:]
        /// The furthest byte written.
        var writtenEnd: UInt64 = 0
        var bytesWritten: UInt64 = 0
        var copyLength: UInt64 = 0
        var complete = false
        var verdict: VerdictStatus?
    }

    struct Result {
        var copies: [Copy] = []
        /// Verdicts the client received, by transfer number (the last one kept).
        var clientVerdicts: [UInt32: DatagramVerdict] = [:]
        /// Every verdict sent to a third party.
        var strangerVerdicts: [(Party, DatagramVerdict)] = []
        var refused: [RefusedStart] = []
        var reported: [RefusedStart] = []
        var begun = 0
        var over = false
        var time: UInt64 = 0
        var finishedAt: [UInt64] = []
    }

    private enum ClientPhase { case starting, sending, ending, done }

    func run() -> Result {
        var random = SeededRandom(state: seed)
        var result = Result()
        var session = Session(
            .init(count: count, reliable: reliable, maximumSize: maximumSize, idle: idle, linger: 1_000_000_000, fallbackName: "standard.txt"),
            at: 0)
        var queue: [(time: UInt64, from: Party, to: Party, bytes: [UInt8])] = injections.map { ($0.time, $0.from, .server, $0.bytes) }
        var now: UInt64 = 0
        var current: Copy?
        /// The verdict of a transfer that just finished, for `conclude` once the session's call returns.
        var pendingVerdict: DatagramVerdict?

        // The client.
        let segments = (file.count + payloadSize - 1) / payloadSize
        var transfer: UInt32 = 1
        var phase = clientTransfers > 0 ? ClientPhase.starting : .done
        var sender = ReliableSender(segments: segments, window: window)
        var resendAt: UInt64 = 0

        func send(_ bytes: [UInt8], from: Party, to: Party, lossy: Bool) {
            if lossy && Double.random(in: 0..<1, using: &random) < loss { return }
            queue.append((now + delay, from, to, bytes))
        }
        func segment(_ sequence: Int) -> [UInt8] {
            let start = sequence * payloadSize
            let payload = file[start..<min(start + payloadSize, file.count)]
            return Datagram.data(transfer: transfer, sequence: UInt32(sequence), offset: UInt64(start), payload: payload).encoded()
        }
        func clientStep() {
            switch phase {
            case .starting where now >= resendAt:
                send(Datagram.start(transfer: transfer, size: UInt64(file.count), segments: UInt32(segments), payloadSize: UInt32(payloadSize),
                    name: "file.txt").encoded(), from: .client, to: .server, lossy: true)
                resendAt = now + 20_000_000
            case .sending:
                if reliable {
                    for sequence in sender.due(at: now) { send(segment(sequence), from: .client, to: .server, lossy: true) }
                    if sender.isComplete {
                        phase = .ending
                        resendAt = now
                        clientStep()
                    }
                } else {
                    for sequence in 0..<segments { send(segment(sequence), from: .client, to: .server, lossy: true) }
                    phase = .ending
                    resendAt = now
                    clientStep()
                }
            case .ending where now >= resendAt:
                send(Datagram.end(transfer: transfer, size: UInt64(file.count), segments: UInt32(segments)).encoded(),
                    from: .client, to: .server, lossy: true)
                resendAt = now + 20_000_000
            default: break
            }
        }
        func clientReceives(_ datagram: Datagram) {
            guard datagram.transfer == transfer else { return }
            switch datagram {
            case .ready where phase == .starting:
                phase = .sending
            case .ack(_, let cumulative, let selective) where phase == .sending:
                sender.acknowledge(cumulative: Int(cumulative), selective: selective, at: now)
            case .verdict(let verdict):
                result.clientVerdicts[transfer] = verdict
                guard phase != .done, verdict.status != .refused || verdict.detail != HeaderRefusal.busy.rawValue else { return }
                if Int(transfer) < clientTransfers {
                    transfer += 1
                    phase = .starting
                    sender = ReliableSender(segments: segments, window: window)
                    resendAt = now
                } else {
                    phase = .done
                }
            default: break
            }
        }

        // The server's side of the socket loop.
        func perform(_ action: Session.Action) {
            switch action {
            case .send(let datagram, let to, let times):
                for _ in 0..<times { send(datagram.encoded(), from: .server, to: to, lossy: to == .client) }
            case .begin(let n, let announcement, let from):
                current = Copy(n: n, from: from, announcement: announcement)
            case .write(let bytes, let offset):
                current!.written[offset] = Array(bytes)
                current!.bytesWritten += UInt64(bytes.count)
                current!.writtenEnd = max(current!.writtenEnd, offset + UInt64(bytes.count))
            case .refused(let refusal):
                result.reported.append(refusal)
            case .finish(let finished):
                var copy = current!
                current = nil
                copy.copyLength = finished.copyLength
                copy.complete = finished.reassembly.isComplete
                var bytes = [UInt8](repeating: 0, count: Int(min(copy.writtenEnd, 1 << 24)))
                for (offset, chunk) in copy.written where Int(offset) + chunk.count <= bytes.count {
                    bytes.replaceSubrange(Int(offset)..<Int(offset) + chunk.count, with: chunk)
                }
                let status: VerdictStatus = !copy.complete ? .incomplete : bytes == file ? .identical : .different
                copy.verdict = status
                result.copies.append(copy)
                result.finishedAt.append(now)
                let verdict = DatagramVerdict(
                    transfer: finished.announcement.transfer, status: status, received: copy.bytesWritten,
                    expected: UInt32(finished.reassembly.segments), arrived: UInt32(finished.reassembly.arrived),
                    lost: UInt32(finished.reassembly.lost), duplicated: 0, outOfOrder: 0)
                pendingVerdict = verdict
            }
        }
        var steps = 0
        while now < horizon && !session.isOver && steps < 2_000_000 {
            steps += 1
            clientStep()
            queue.sort { $0.time < $1.time }
            while let first = queue.first, first.time <= now {
                queue.removeFirst()
                if first.to == .server {
                    first.bytes.withUnsafeBytes { session.receive($0, from: first.from, at: now, perform) }
                    if let verdict = pendingVerdict {
                        pendingVerdict = nil
                        session.conclude(verdict, at: now, perform)
                    }
                } else if let datagram = first.bytes.withUnsafeBytes({ Datagram.decode($0) }) {
                    if first.to == .client {
                        clientReceives(datagram)
                        clientStep()
                    } else if case .verdict(let verdict) = datagram {
                        result.strangerVerdicts.append((first.to, verdict))
                    }
                }
            }
            session.drained(perform)
            if let deadline = session.deadline, now >= deadline {
                session.expire(at: now, perform)
                if let verdict = pendingVerdict {
                    pendingVerdict = nil
                    session.conclude(verdict, at: now, perform)
                }
            }
            // The next moment anything happens.
            var next = queue.map(\.time).min() ?? .max
            if let deadline = session.deadline { next = min(next, max(deadline, now + 1)) }
            switch phase {
            case .starting, .ending: next = min(next, max(resendAt, now + 1))
            case .sending where reliable: next = min(next, max(sender.nextDeadline() ?? .max, now + 1))
            case .sending: next = now + 1
            case .done: break
            }
            guard next != .max else { break }
            now = max(now, next)
        }
        result.refused = session.refused
        result.begun = session.begun
        result.over = session.isOver
        result.time = now
        return result
    }
}
