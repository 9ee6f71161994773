/// The server side of `udp` and `rudp` as pure state, in the style of `Reassembly` and
/// `ReliableSender`: it takes a datagram, who sent it and the time, and answers with actions
/// (send, begin a copy, write bytes at an offset, report a refusal, finish a transfer). No I/O,
/// no clock: the socket loop (`DatagramReceiver`) performs the actions, and tests drive it on a
/// virtual clock with any party they like injecting datagrams.
///
/// Rules it keeps:
/// - A transfer belongs to the address and port its `start` came from. Datagrams of any kind from
///   anyone else never change it; a `start` from anyone else while it runs is answered `busy` and
///   is not counted.
/// - Only transfers that began count: a refused `start` (bad name, too large, segment count that
///   does not fit the size) is answered with a refusing verdict, reported once, never counted.
/// - Memory grows with what arrives (`Reassembly`), and the copy is never longer than the bytes
///   up to the last segment that arrived (`Finished.copyLength`).
/// - A transfer ends with its `end` (rudp: once every segment arrived), with the first datagram of
///   the sender's next transfer, or after `Rules.idle` without a datagram *from its sender*: a third
///   party cannot keep it open.
/// - After the last transfer, repeated `end`s are answered with their verdicts until the clients
///   have been quiet for `Rules.quiet` (at most `Rules.linger`).
public struct DatagramServerSession<Peer: Hashable & CustomStringConvertible> {
    /// What the session is told once.
    public struct Rules: Sendable {
        /// Transfers to receive (`--count`).
        public var count: Int
        /// rudp: acknowledge segments and wait for all of them before an `end` is taken.
        public var reliable: Bool
        /// The largest size a `start` may announce (`--max-size`).
        public var maximumSize: UInt64
        /// Quiet time from the transfer's sender that ends it: `--udp-idle` (udp) or `--idle-timeout` (rudp).
        public var idle: UInt64
        /// The longest time repeated `end`s are answered after the last transfer (`--idle-timeout`).
        public var linger: UInt64
        /// Quiet time after the last transfer that ends the session.
        public var quiet: UInt64 = 500_000_000
        /// The name reported for a `start` whose own name was refused (the standard's).
        public var fallbackName: String

        /// Rules with the default `quiet` time (0.5 s).
        public init(count: Int, reliable: Bool, maximumSize: UInt64, idle: UInt64, linger: UInt64, fallbackName: String) {
            self.count = count
            self.reliable = reliable
            self.maximumSize = maximumSize
            self.idle = idle
            self.linger = linger
            self.fallbackName = fallbackName
        }
    }

    /// A transfer as its `start` announced it.
    public struct Announcement: Equatable, Sendable {
        /// The client's transfer number.
        public var transfer: UInt32
        /// The file's size in bytes.
        public var size: UInt64
        /// Data segments: exactly what `size` and `payloadSize` need.
        public var segments: Int
        /// Payload bytes per segment (the last may be shorter).
        public var payloadSize: Int
        /// The file's name, as announced and checked.
        public var name: String
    }

    /// A transfer that ended: the caller judges the copy, then answers with `conclude`.
    public struct Finished {
        /// The transfer's place among those received, from 1.
        public var n: Int
        public var announcement: Announcement
        public var peer: Peer
        /// When its `start` arrived.
        public var startedAt: UInt64
        /// Which segments arrived, and how.
        public var reassembly: Reassembly
        /// The bytes an incomplete copy keeps: up to the last segment that arrived, never the
        /// size a `start` merely announced.
        public var copyLength: UInt64 {
            min(announcement.size, UInt64(reassembly.end) * UInt64(announcement.payloadSize))
        }
    }

    /// What the caller does.
    public enum Action {
        /// Send `Datagram` to the peer, `times` times in a row.
        case send(Datagram, to: Peer, times: Int)
        /// Open the copy of transfer `n`; segments follow as `write`s.
        case begin(n: Int, Announcement, from: Peer)
        /// Write `bytes` (valid only during the call) at `offset` of the copy, and compare them
        /// with the standard there. Each segment is written once.
        case write(UnsafeRawBufferPointer, at: UInt64)
        /// A refused `start`, the first time it is seen from this sender.
        case refused(RefusedStart)
        /// The transfer ended: judge the copy and call `conclude`.
        case finish(Finished)
    }

    private enum Phase: Equatable {
        /// Between transfers: waiting, without limit, for a `start`.
        case waiting
        case receiving
        /// Told `finish`; waiting for `conclude`.
        case concluding
        /// Every transfer is done; answering repeated `end`s until the given time.
        case lingering(until: UInt64)
        case over
    }

    /// The transfer in progress (kept apart from `Phase` so its bookkeeping is changed in place).
    private struct Current {
        var n: Int
        var announcement: Announcement
        var peer: Peer
        var startedAt: UInt64
        var reassembly: Reassembly
        /// When its sender was last heard from.
        var lastHeard: UInt64
        /// rudp: segments that arrived since the last acknowledgement.
        var sinceAck = 0
    }

    /// A finished transfer by sender and number, to answer its repeated `start` or `end`.
    private struct Key: Hashable {
        var peer: Peer
        var transfer: UInt32
    }

    public let rules: Rules
    private var phase = Phase.waiting
    private var current: Current?
    /// Transfers that began (and count).
    public private(set) var begun = 0
    /// `start`s refused and not counted, each (sender, transfer, reason) once, the first
    /// `listedRefusals` of them.
    public private(set) var refused: [RefusedStart] = []
    /// Refused `start` datagrams beyond those listed, repeats included: a flood of forged ones
    /// costs no memory.
    public private(set) var unlistedRefusals = 0
    /// How many refused `start`s are listed (in the JSON results) at most.
    public static var listedRefusals: Int { 1_000 }

    /// The stderr line for the refusals not listed; nil when every one was.
    public var unlistedNote: String? {
        unlistedRefusals > 0 ? "server: \(unlistedRefusals) more refused start datagrams (repeats included), not listed" : nil
    }
    private var refusedKeys: Set<String> = []
    /// Verdicts of finished and refused transfers; only the latest `rememberedVerdicts` are kept.
    private var verdicts: [Key: DatagramVerdict] = [:]
    private var verdictOrder: [Key] = []
    private var verdictOldest = 0
    /// How many verdicts of finished transfers are remembered, to answer a repeated `end`.
    public static var rememberedVerdicts: Int { 256 }
    /// A datagram of the sender's next transfer that ended the current one; taken after `conclude`.
    private var pending: (bytes: [UInt8], peer: Peer)?
    /// When a client was last heard from while lingering.
    private var lastHeard: UInt64 = 0

    /// A session that starts at `now` (monotonic nanoseconds).
    public init(_ rules: Rules, at now: UInt64) {
        self.rules = rules
        if rules.count <= 0 { startLingering(at: now) }
    }

    /// The session has nothing more to do.
    public var isOver: Bool { phase == .over }

    /// A transfer is in progress.
    public var isReceiving: Bool { phase == .receiving }

    /// When to call `expire` if no datagram arrives first; nil: wait for one without limit.
    public var deadline: UInt64? {
        switch phase {
        case .receiving: current.map { $0.lastHeard &+ rules.idle }
        case .lingering(let until): min(until, lastHeard &+ rules.quiet)
        case .waiting, .concluding, .over: nil
        }
    }

    /// Takes one datagram from `sender` that arrived at `now`. A deadline that passed is kept
    /// first (as `expire` would): a transfer whose sender went quiet ends, and this datagram is
    /// taken after `conclude`, so a stream of anyone's datagrams never postpones it.
    public mutating func receive(
        _ bytes: UnsafeRawBufferPointer, from sender: Peer, at now: UInt64, _ perform: (Action) -> Void
    ) {
        if keepDeadline(at: now, perform) {
            if phase == .concluding { pending = (Array(bytes), sender) }
            return
        }
        switch phase {
        case .waiting: receiveBetweenTransfers(bytes, from: sender, at: now, perform)
        case .receiving: receiveDuringTransfer(bytes, from: sender, at: now, perform)
        case .lingering:
            lastHeard = now
            _ = answerFinished(bytes, from: sender, perform)
        case .concluding, .over: break
        }
    }

    /// The time came (see `deadline`): a transfer whose sender went quiet ends; lingering stops.
    public mutating func expire(at now: UInt64, _ perform: (Action) -> Void) {
        _ = keepDeadline(at: now, perform)
    }

    /// Ends what a passed deadline ends. - Returns: true when it ended something.
    private mutating func keepDeadline(at now: UInt64, _ perform: (Action) -> Void) -> Bool {
        guard let deadline, now >= deadline else { return false }
        switch phase {
        case .receiving: finish(perform)
        case .lingering: phase = .over
        case .waiting, .concluding, .over: return false
        }
        return true
    }

    /// Nothing more is queued and the caller is about to sleep: rudp acknowledges what arrived
    /// since its last acknowledgement, so the sender is never left waiting.
    public mutating func drained(_ perform: (Action) -> Void) {
        guard phase == .receiving, rules.reliable, let current, current.sinceAck > 0 else { return }
        acknowledge(perform)
    }

    /// Ends the transfer in progress at once (its copy could not be opened).
    public mutating func abandon(_ perform: (Action) -> Void) {
        guard phase == .receiving else { return }
        finish(perform)
    }

    /// The caller judged the finished transfer: the verdict goes to its sender (three times for
    /// udp, which has no retransmission; rudp's client asks again) and is remembered, and a
    /// datagram of the next transfer that ended this one is taken now.
    public mutating func conclude(_ verdict: DatagramVerdict, at now: UInt64, _ perform: (Action) -> Void) {
        guard phase == .concluding, let finished = current else { return }
        current = nil
        remember(verdict, for: Key(peer: finished.peer, transfer: finished.announcement.transfer))
        perform(.send(.verdict(verdict), to: finished.peer, times: rules.reliable ? 1 : 3))
        if begun >= rules.count {
            pending = nil
            startLingering(at: now)
            return
        }
        phase = .waiting
        if let (bytes, peer) = pending {
            pending = nil
            bytes.withUnsafeBytes { receive($0, from: peer, at: now, perform) }
        }
    }

    // MARK: Between transfers

    private mutating func receiveBetweenTransfers(
        _ bytes: UnsafeRawBufferPointer, from sender: Peer, at now: UInt64, _ perform: (Action) -> Void
    ) {
        if answerFinished(bytes, from: sender, perform) { return }
        guard let datagram = Datagram.decode(bytes) else {
            if let (transfer, refusal) = Datagram.refusedStart(bytes) {
                refuse(transfer, name: rules.fallbackName, refusal, from: sender, perform)
            }
            return
        }
        // Anything but a `start` between transfers is late, stray or forged.
        guard case .start(let transfer, let size, let segments, let payloadSize, let name) = datagram else { return }
        if let refusal = check(size: size, segments: segments, payloadSize: payloadSize) {
            refuse(transfer, name: name, refusal, from: sender, perform)
            return
        }
        begun += 1
        let announcement = Announcement(
            transfer: transfer, size: size, segments: Int(segments), payloadSize: Int(payloadSize), name: name)
        current = Current(
            n: begun, announcement: announcement, peer: sender, startedAt: now,
            reassembly: Reassembly(segments: announcement.segments), lastHeard: now)
        phase = .receiving
        perform(.begin(n: begun, announcement, from: sender))
        perform(.send(.ready(transfer: transfer), to: sender, times: 1))
    }

    /// A `start` is refused unless its size is allowed and its segment count is exactly what the
    /// size and segment length need.
    private func check(size: UInt64, segments: UInt32, payloadSize: UInt32) -> HeaderRefusal? {
        if size > rules.maximumSize { return .tooLarge }
        guard payloadSize >= 1, Int(payloadSize) <= Datagram.maximumPayload else { return .inconsistentSegments }
        let needed = (size + UInt64(payloadSize) - 1) / UInt64(payloadSize)
        return needed == UInt64(segments) ? nil : .inconsistentSegments
    }

    /// Answers a refused `start` with a refusing verdict, once, and reports it once. Refusals
    /// are not remembered: a repeated `start` is refused again on its own merits, and a flood of
    /// forged ones can neither push real verdicts out of memory nor be amplified.
    private mutating func refuse(
        _ transfer: UInt32, name: String, _ refusal: HeaderRefusal, from sender: Peer, _ perform: (Action) -> Void
    ) {
        perform(.send(.verdict(Self.refusal(transfer, refusal)), to: sender, times: 1))
        report(RefusedStart(peer: sender.description, name: name, refusal: refusal), transfer: transfer, perform)
    }

    // MARK: During a transfer

    private mutating func receiveDuringTransfer(
        _ bytes: UnsafeRawBufferPointer, from sender: Peer, at now: UInt64, _ perform: (Action) -> Void
    ) {
        guard let transfer = current?.announcement.transfer, let peer = current?.peer else { return }
        // Data segments of this transfer are read in place; everything else is decoded.
        if sender == peer, let header = DataHeader(bytes), header.transfer == transfer {
            current!.lastHeard = now
            receiveSegment(header, bytes, perform)
            return
        }
        guard !answerFinished(bytes, from: sender, perform), let datagram = Datagram.decode(bytes) else { return }
        guard sender == peer else {
            // The transfer belongs to its sender's address and port: anyone else's `start` waits.
            if case .start(let theirs, _, _, _, let name) = datagram {
                perform(.send(.verdict(Self.refusal(theirs, .busy)), to: sender, times: 1))
                report(RefusedStart(peer: sender.description, name: name, refusal: .busy), transfer: theirs, perform)
            }
            return
        }
        current!.lastHeard = now
        switch datagram {
        case .start(transfer, _, _, _, _):
            // The `ready` was lost.
            perform(.send(.ready(transfer: transfer), to: sender, times: 1))
        case .end(transfer, _, _):
            if rules.reliable && !current!.reassembly.isComplete {
                acknowledge(perform)
            } else {
                finish(perform)
            }
        case let next where next.transfer > transfer:
            // The sender moved on: its previous transfer is over, and this datagram is its next one's.
            pending = (Array(bytes), sender)
            finish(perform)
        default:
            break
        }
    }

    private mutating func receiveSegment(_ header: DataHeader, _ bytes: UnsafeRawBufferPointer, _ perform: (Action) -> Void) {
        let announcement = current!.announcement
        let sequence = Int(header.sequence)
        let payload = UnsafeRawBufferPointer(rebasing: bytes[Datagram.dataHeaderLength...])
        let expectedLength = sequence == announcement.segments - 1
            ? Int(announcement.size) - sequence * announcement.payloadSize : announcement.payloadSize
        guard header.offset == UInt64(sequence) &* UInt64(announcement.payloadSize), payload.count == expectedLength,
            current!.reassembly.accept(sequence) == .new
        else {
            if rules.reliable { acknowledge(perform) }
            return
        }
        perform(.write(payload, at: header.offset))
        guard rules.reliable else { return }
        current!.sinceAck += 1
        // Acknowledge every 16th segment, at once when a hole shows or the last one arrives, and
        // before the caller sleeps (`drained`).
        let reassembly = current!.reassembly
        if current!.sinceAck >= 16 || sequence != reassembly.cumulative - 1 || reassembly.isComplete {
            acknowledge(perform)
        }
    }

    private mutating func acknowledge(_ perform: (Action) -> Void) {
        guard let current else { return }
        self.current!.sinceAck = 0
        let reassembly = current.reassembly
        perform(.send(
            .ack(transfer: current.announcement.transfer, cumulative: UInt32(reassembly.cumulative), selective: reassembly.selective),
            to: current.peer, times: 1))
    }

    private mutating func finish(_ perform: (Action) -> Void) {
        guard let current else { return }
        phase = .concluding
        perform(.finish(Finished(
            n: current.n, announcement: current.announcement, peer: current.peer, startedAt: current.startedAt,
            reassembly: current.reassembly)))
    }

    // MARK: Shared

    /// Answers a repeated `start` or `end` of a finished transfer with its verdict.
    /// True when the datagram belonged to one (data segments arriving late included).
    private func answerFinished(_ bytes: UnsafeRawBufferPointer, from sender: Peer, _ perform: (Action) -> Void) -> Bool {
        guard bytes.count >= 16, bytes[5] != Datagram.Kind.ready.rawValue,
            UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) == Datagram.magic
        else { return false }
        let transfer = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard let verdict = verdicts[Key(peer: sender, transfer: transfer)] else { return false }
        if bytes[5] == Datagram.Kind.start.rawValue || bytes[5] == Datagram.Kind.end.rawValue {
            perform(.send(.verdict(verdict), to: sender, times: 1))
        }
        return true
    }

    private mutating func remember(_ verdict: DatagramVerdict, for key: Key) {
        if verdicts.updateValue(verdict, forKey: key) != nil { return }
        verdictOrder.append(key)
        if verdictOrder.count - verdictOldest > Self.rememberedVerdicts {
            verdicts[verdictOrder[verdictOldest]] = nil
            verdictOldest += 1
            if verdictOldest >= 4 * Self.rememberedVerdicts {
                verdictOrder.removeFirst(verdictOldest)
                verdictOldest = 0
            }
        }
    }

    private mutating func report(_ refusal: RefusedStart, transfer: UInt32, _ perform: (Action) -> Void) {
        guard refused.count < Self.listedRefusals else {
            unlistedRefusals += 1
            return
        }
        guard refusedKeys.insert("\(refusal.peer)#\(transfer)#\(refusal.detail)").inserted else { return }
        refused.append(refusal)
        perform(.refused(refusal))
    }

    private mutating func startLingering(at now: UInt64) {
        lastHeard = now
        phase = .lingering(until: now &+ rules.linger)
    }

    private static func refusal(_ transfer: UInt32, _ refusal: HeaderRefusal) -> DatagramVerdict {
        DatagramVerdict(
            transfer: transfer, status: .refused, detail: refusal.rawValue, received: 0, expected: 0, arrived: 0, lost: 0,
            duplicated: 0, outOfOrder: 0)
    }
}
