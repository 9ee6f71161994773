import FerryCore
import Testing

/// The datagram server's rules, on a virtual clock, with a third party injecting datagrams.
@Suite struct DatagramSessionTests {
    private let busy = HeaderRefusal.busy.rawValue

    private func start(_ transfer: UInt32, size: UInt64, segments: UInt32, payload: UInt32, name: String = "file.txt") -> [UInt8] {
        Datagram.start(transfer: transfer, size: size, segments: segments, payloadSize: payload, name: name).encoded()
    }

    private func data(_ transfer: UInt32, _ sequence: UInt32, payload: UInt64 = 1_000, bytes: [UInt8]) -> [UInt8] {
        Datagram.data(transfer: transfer, sequence: sequence, offset: UInt64(sequence) * payload, payload: bytes[...]).encoded()
    }

    @Test(arguments: [false, true])
    func aCleanTransferIsIdentical(reliable: Bool) {
        let result = SessionSimulation(reliable: reliable, count: 3, clientTransfers: 3).run()
        #expect(result.copies.map(\.verdict) == [.identical, .identical, .identical])
        #expect(result.clientVerdicts.values.allSatisfy { $0.status == .identical })
        #expect(result.begun == 3)
        #expect(result.over)
    }

    @Test func rudpOnALossyChannelStillDeliversEveryCopy() {
        for seed in [1, 2, 3] as [UInt64] {
            let result = SessionSimulation(count: 2, loss: 0.1, seed: seed, clientTransfers: 2).run()
            #expect(result.copies.map(\.verdict) == [.identical, .identical], "seed \(seed)")
        }
    }

    /// Item 2: a forged `start`, `end` and data of the client's own transfer number, and a stranger's
    /// own `start`, all from other addresses while the transfer runs, change nothing; the
    /// stranger's `start` is answered `busy` and not counted.
    @Test(arguments: [false, true])
    func datagramsFromAnyoneElseNeverChangeTheTransfer(reliable: Bool) {
        let garbage = [UInt8](repeating: 0xEE, count: 1_000)
        var simulation = SessionSimulation(reliable: reliable, count: 1)
        simulation.injections = [
            (150_000, .stranger(1), start(1, size: 5, segments: 1, payload: 5)),
            (160_000, .stranger(1), start(7, size: 5, segments: 1, payload: 5, name: "mine.txt")),
            (170_000, .stranger(2), Datagram.end(transfer: 1, size: 10_000, segments: 10).encoded()),
            (180_000, .stranger(2), data(1, 0, bytes: garbage)),
            (180_000, .stranger(2), data(1, 9, bytes: garbage)),
            (190_000, .stranger(3), start(2, size: 10_000, segments: 10, payload: 1_000)),
        ]
        let result = simulation.run()
        #expect(result.copies.count == 1)
        #expect(result.copies.first?.from == .client)
        #expect(result.copies.first?.verdict == .identical)
        #expect(result.clientVerdicts[1]?.status == .identical)
        #expect(result.begun == 1)
        let refusedPeers = Set(result.refused.map(\.peer))
        #expect(refusedPeers == [Party.stranger(1).description, Party.stranger(3).description])
        #expect(result.refused.allSatisfy { $0.detail == busy })
        #expect(result.strangerVerdicts.contains { $0.0 == .stranger(1) && $0.1.detail == busy })
        #expect(result.strangerVerdicts.allSatisfy { $0.1.status == .refused })
    }

    /// A third party that keeps talking does not keep a transfer open: the idle time runs from the
    /// transfer's own sender.
    @Test func aStrangerCannotKeepATransferOpen() {
        var simulation = SessionSimulation(reliable: false, count: 1, loss: 0, idle: 200_000_000, clientTransfers: 0)
        // The "client" here is the stranger itself: one start, one segment, then silence; another
        // party sends noise every 50 ms for 2 s.
        simulation.injections = [(0, .stranger(1), start(1, size: 2_000, segments: 2, payload: 1_000)),
                                 (1_000, .stranger(1), data(1, 0, bytes: [UInt8](repeating: 1, count: 1_000)))]
        for k in 1...40 {
            simulation.injections.append((UInt64(k) * 50_000_000, .stranger(2), Datagram.end(transfer: 1, size: 2_000, segments: 2).encoded()))
        }
        let result = simulation.run()
        #expect(result.copies.count == 1)
        #expect(result.copies.first?.verdict == .incomplete)
        let finished = result.finishedAt.first ?? .max
        #expect(finished >= 200_000_000 && finished < 300_000_000)
    }

    /// Item 3: refused `start`s (too large, segment counts that do not fit, refused names) are
    /// answered and reported but never counted: the session still waits for its transfers.
    @Test func refusedStartsAreNeverCounted() {
        var simulation = SessionSimulation(reliable: true, count: 1, maximumSize: 1 << 20)
        simulation.injections = [
            (0, .stranger(1), start(1, size: 2 << 20, segments: 2_048, payload: 1_024)),
            (0, .stranger(2), start(1, size: 100, segments: 7, payload: 10)),
            (0, .stranger(3), start(1, size: 100, segments: 1, payload: 0)),
            (0, .stranger(4), start(1, size: 10, segments: 1, payload: 10, name: "../etc/passwd")),
            (0, .stranger(5), start(1, size: 10, segments: 1, payload: 10, name: "a\u{202E}b.txt")),
            // A repeat gets the same answer and is listed once.
            (50_000, .stranger(1), start(1, size: 2 << 20, segments: 2_048, payload: 1_024)),
        ]
        simulation.delay = 100_000
        let result = simulation.run()
        #expect(result.begun == 1)
        #expect(result.copies.map(\.from) == [.client])
        #expect(result.copies.first?.verdict == .identical)
        #expect(result.refused.count == 5)
        #expect(result.reported == result.refused)
        let details = Set(result.refused.map(\.detail))
        #expect(details.contains(HeaderRefusal.tooLarge.rawValue))
        #expect(details.contains(HeaderRefusal.inconsistentSegments.rawValue))
        // Each `start` is answered once, the repeat on its own merits: refusals are not remembered.
        #expect(result.strangerVerdicts.filter { $0.0 == .stranger(1) }.count == 2)
    }

    /// Item 4: a forged `start` of 2^32 − 1 segments of 4 bytes costs nothing until segments come;
    /// a segment far ahead is dropped; the copy is never longer than what arrived.
    @Test func aForgedHugeStartCostsOnlyWhatArrives() {
        let segments = UInt32.max
        var simulation = SessionSimulation(reliable: false, count: 1, idle: 200_000_000, clientTransfers: 0)
        simulation.injections = [
            (0, .stranger(1), start(1, size: UInt64(segments) * 4, segments: segments, payload: 4)),
            (1_000, .stranger(1), data(1, segments - 1, payload: 4, bytes: [1, 2, 3, 4])),
            (2_000, .stranger(1), data(1, 4_000_000_000, payload: 4, bytes: [1, 2, 3, 4])),
            (3_000, .stranger(1), data(1, 2, payload: 4, bytes: [9, 9, 9, 9])),
        ]
        let result = simulation.run()
        let copy = result.copies.first
        #expect(copy?.bytesWritten == 4)
        #expect(copy?.writtenEnd == 12)
        #expect(copy?.copyLength == 12)
        #expect(copy?.verdict == .incomplete)
    }

    @Test func aFloodOfRefusedStartsIsListedOnlyUpToTheLimit() {
        var session = DatagramServerSession<Party>(
            .init(count: 1, reliable: false, maximumSize: 100, idle: 1, linger: 1, fallbackName: "standard.txt"), at: 0)
        var sent = 0
        for k in 0..<3_000 {
            start(UInt32(k + 1), size: 1_000, segments: 1, payload: 1_000).withUnsafeBytes {
                session.receive($0, from: .stranger(k), at: 0) { if case .send = $0 { sent += 1 } }
            }
        }
        #expect(session.begun == 0)
        #expect(session.refused.count == DatagramServerSession<Party>.listedRefusals)
        #expect(session.unlistedRefusals == 3_000 - DatagramServerSession<Party>.listedRefusals)
        #expect(session.unlistedNote == "server: 2000 more refused start datagrams (repeats included), not listed")
        #expect(sent == 3_000)
    }

    /// The socket loop calls `expire` only when nothing is queued: a datagram that arrives after
    /// the deadline must end the quiet transfer by itself, and be taken after `conclude`.
    @Test func aDatagramAfterTheDeadlineEndsTheQuietTransferFirst() {
        var session = DatagramServerSession<Party>(
            .init(count: 2, reliable: false, maximumSize: 1 << 20, idle: 200_000_000, linger: 1, fallbackName: "standard.txt"), at: 0)
        var finishedAt: UInt64?
        var begun: [Party] = []
        func perform(_ action: DatagramServerSession<Party>.Action) {
            if case .finish = action { finishedAt = finishedAt ?? 1 }
            if case .begin(_, _, let from) = action { begun.append(from) }
        }
        start(1, size: 2_000, segments: 2, payload: 1_000).withUnsafeBytes { session.receive($0, from: .client, at: 0, perform) }
        // A stranger's start well inside the idle time is refused busy and changes nothing.
        start(9, size: 1_000, segments: 1, payload: 1_000).withUnsafeBytes { session.receive($0, from: .stranger(1), at: 100_000_000, perform) }
        #expect(finishedAt == nil && session.isReceiving)
        // Past the deadline: the transfer ends before the datagram is looked at...
        start(9, size: 1_000, segments: 1, payload: 1_000).withUnsafeBytes { session.receive($0, from: .stranger(1), at: 250_000_000, perform) }
        #expect(finishedAt != nil && !session.isReceiving)
        // ...and the datagram is taken after `conclude`: the stranger's transfer begins.
        session.conclude(
            DatagramVerdict(transfer: 1, status: .incomplete, received: 0, expected: 2, arrived: 0, lost: 2, duplicated: 0, outOfOrder: 0),
            at: 250_000_000, perform)
        #expect(begun == [.client, .stranger(1)])
    }

    @Test func lingeringEndsAtItsLimitWhateverArrives() {
        var session = DatagramServerSession<Party>(
            .init(count: 0, reliable: true, maximumSize: 1, idle: 1, linger: 1_000_000_000, fallbackName: "standard.txt"), at: 0)
        for k in 1...30 {
            Datagram.end(transfer: 1, size: 1, segments: 1).encoded().withUnsafeBytes {
                session.receive($0, from: .stranger(1), at: UInt64(k) * 100_000_000) { _ in }
            }
        }
        #expect(session.isOver)
    }

    /// The datagram of the sender's next transfer ends the current one and begins the next after
    /// `conclude`.
    @Test func theNextTransfersStartEndsTheCurrentOne() {
        var session = DatagramServerSession<Party>(
            .init(count: 2, reliable: false, maximumSize: 1 << 20, idle: 1_000_000_000, linger: 1, fallbackName: "standard.txt"), at: 0)
        var actions: [String] = []
        func perform(_ action: DatagramServerSession<Party>.Action) {
            switch action {
            case .begin(let n, _, _): actions.append("begin \(n)")
            case .finish(let finished): actions.append("finish \(finished.n) \(finished.reassembly.arrived)")
            case .write: actions.append("write")
            case .send(let datagram, _, _): if case .verdict = datagram { actions.append("verdict") }
            case .refused: actions.append("refused")
            }
        }
        start(1, size: 2_000, segments: 2, payload: 1_000).withUnsafeBytes { session.receive($0, from: .client, at: 0, perform) }
        data(1, 0, bytes: [UInt8](repeating: 0, count: 1_000)).withUnsafeBytes { session.receive($0, from: .client, at: 1, perform) }
        start(2, size: 2_000, segments: 2, payload: 1_000).withUnsafeBytes { session.receive($0, from: .client, at: 2, perform) }
        #expect(actions == ["begin 1", "write", "finish 1 1"])
        session.conclude(
            DatagramVerdict(transfer: 1, status: .incomplete, received: 1_000, expected: 2, arrived: 1, lost: 1, duplicated: 0, outOfOrder: 0),
            at: 3, perform)
        #expect(actions == ["begin 1", "write", "finish 1 1", "verdict", "begin 2"])
        #expect(session.isReceiving)
        #expect(session.begun == 2)
    }
}
