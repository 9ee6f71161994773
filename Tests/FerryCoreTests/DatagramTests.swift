import FerryCore
import FerryTestSupport
import Testing

@Suite struct DatagramCodecTests {
    private func roundTrip(_ datagram: Datagram) -> Datagram? {
        datagram.encoded().withUnsafeBytes { Datagram.decode($0) }
    }

    @Test func everyKindRoundTrips() {
        let all: [Datagram] = [
            .start(transfer: 3, size: 65550, segments: 47, payloadSize: 1400, name: "sample.txt"),
            .ready(transfer: 3),
            .data(transfer: 3, sequence: 46, offset: 64400, payload: [1, 2, 3]),
            .end(transfer: 3, size: 65550, segments: 47),
            .ack(transfer: 3, cumulative: 10, selective: 0b1011),
            .verdict(DatagramVerdict(transfer: 3, status: .incomplete, received: 64000, expected: 47, arrived: 45, lost: 2, duplicated: 1, outOfOrder: 4)),
        ]
        for datagram in all { #expect(roundTrip(datagram) == datagram) }
    }

    @Test func dataHeaderIsWrittenInPlace() {
        var bytes = [UInt8](repeating: 0xAA, count: Datagram.dataHeaderLength + 2)
        bytes.withUnsafeMutableBytes { Datagram.writeDataHeader(into: $0, transfer: 7, sequence: 9, offset: 12600) }
        #expect(bytes.withUnsafeBytes { Datagram.decode($0) } == .data(transfer: 7, sequence: 9, offset: 12600, payload: [0xAA, 0xAA]))
        #expect(Array(bytes[0..<4]) == Array("FRYD".utf8))
    }

    @Test func garbageIsRejected() {
        #expect([UInt8](repeating: 0, count: 40).withUnsafeBytes { Datagram.decode($0) } == nil)
        var start = Datagram.start(transfer: 1, size: 1, segments: 1, payloadSize: 1, name: "a/b").encoded()
        #expect(start.withUnsafeBytes { Datagram.decode($0) } == nil)
        start = Datagram.ready(transfer: 1).encoded()
        start[5] = 99
        #expect(start.withUnsafeBytes { Datagram.decode($0) } == nil)
        let shortAck = Array(Datagram.ack(transfer: 1, cumulative: 1, selective: 1).encoded().dropLast())
        #expect(shortAck.withUnsafeBytes { Datagram.decode($0) } == nil)
    }
}

@Suite struct ReassemblyTests {
    @Test func inOrderArrivalCompletes() {
        var reassembly = Reassembly(segments: 5)
        for sequence in 0..<5 { #expect(reassembly.accept(sequence) == .new) }
        #expect(reassembly.isComplete && reassembly.lost == 0 && reassembly.outOfOrder == 0 && reassembly.cumulative == 5)
    }

    @Test func lossDuplicationAndReorderingAreCounted() {
        var reassembly = Reassembly(segments: 10)
        for sequence in [0, 1, 3, 2, 2, 5, 4, 9, 9, 9] { _ = reassembly.accept(sequence) }
        #expect(reassembly.arrived == 7)
        #expect(reassembly.lost == 3)  // 6, 7, 8
        #expect(reassembly.duplicated == 3)
        #expect(reassembly.outOfOrder == 2)  // 2 after 3, 4 after 5
        #expect(reassembly.cumulative == 6)
        #expect(reassembly.selective == 0b100)  // 9 = 6 + 1 + 2
        #expect(!reassembly.isComplete)
    }

    @Test func sequenceNumbersOutsideTheTransferAreRefused() {
        var reassembly = Reassembly(segments: 2)
        #expect(reassembly.accept(2) == .outOfRange)
        #expect(reassembly.accept(-1) == .outOfRange)
        #expect(reassembly.arrived == 0)
    }

    @Test func aSegmentFarBeyondWhatArrivedIsDropped() {
        var reassembly = Reassembly(segments: Int(UInt32.max))
        #expect(reassembly.accept(Int(UInt32.max) - 2) == .tooFarAhead)
        #expect(reassembly.accept(Reassembly.maximumAhead) == .tooFarAhead)
        #expect(reassembly.accept(Reassembly.maximumAhead - 1) == .new)
        #expect(reassembly.accept(Reassembly.maximumAhead) == .new)
        #expect(reassembly.arrived == 2 && reassembly.end == Reassembly.maximumAhead + 1 && reassembly.cumulative == 0)
        // Losses on the way do not close the door: the bound follows the highest segment.
        var lossy = Reassembly(segments: 100_000)
        for sequence in stride(from: 0, to: 60_000, by: 2) { #expect(lossy.accept(sequence) == .new) }
        #expect(lossy.arrived == 30_000 && lossy.lost == 70_000)
    }

    @Test func emptyTransferIsComplete() {
        #expect(Reassembly(segments: 0).isComplete)
    }
}

/// The rudp sender and a receiver across a simulated channel with loss and delay, on a virtual clock.
struct LossyChannelSimulation {
    var segments = 200
    var window = 32
    var dataLoss = 0.0
    var ackLoss = 0.0
    var delay: UInt64 = 100_000
    var seed: UInt64 = 42
    /// First transmissions of these segments are dropped.
    var dropFirstSendOf: Set<Int> = []
    /// Every acknowledgement before this time is dropped.
    var dropAcksUntil: UInt64 = 0

    struct Result {
        var senderComplete: Bool
        var receiverComplete: Bool
        var transmissions: Int
        var retransmissions: Int
        var duplicatesAtReceiver: Int
        var time: UInt64
    }

    enum Event { case data(Int), ack(Int, UInt64) }

    func run() -> Result {
        var random = SeededRandom(state: seed)
        var sender = ReliableSender(segments: segments, window: window)
        var receiver = Reassembly(segments: segments)
        var events: [(time: UInt64, event: Event)] = []
        var sentBefore = Set<Int>()
        var now: UInt64 = 0
        var steps = 0
        while !sender.isComplete && steps < 200_000 {
            steps += 1
            for sequence in sender.due(at: now) {
                let first = sentBefore.insert(sequence).inserted
                if first && dropFirstSendOf.contains(sequence) { continue }
                if Double.random(in: 0..<1, using: &random) < dataLoss { continue }
                events.append((now + delay, .data(sequence)))
            }
            events.sort { $0.time < $1.time }
            let nextEvent = events.first?.time ?? .max
            let nextTimer = sender.nextDeadline() ?? .max
            let next = min(nextEvent, nextTimer)
            guard next != .max else { break }
            now = max(now, next)
            while let first = events.first, first.time <= now {
                events.removeFirst()
                switch first.event {
                case .data(let sequence):
                    _ = receiver.accept(sequence)
                    let dropped = now < dropAcksUntil || Double.random(in: 0..<1, using: &random) < ackLoss
                    if !dropped { events.append((now + delay, .ack(receiver.cumulative, receiver.selective))) }
                case .ack(let cumulative, let selective):
                    sender.acknowledge(cumulative: cumulative, selective: selective, at: now)
                }
            }
        }
        return Result(
            senderComplete: sender.isComplete, receiverComplete: receiver.isComplete, transmissions: sender.transmissions,
            retransmissions: sender.retransmissions, duplicatesAtReceiver: receiver.duplicated, time: now)
    }
}

@Suite struct ReliableSenderTests {
    @Test func cleanChannelSendsEverySegmentOnce() {
        let result = LossyChannelSimulation().run()
        #expect(result.senderComplete && result.receiverComplete)
        #expect(result.transmissions == 200)
        #expect(result.retransmissions == 0)
    }

    @Test(arguments: [0.01, 0.05, 0.2])
    func lossyChannelStillDeliversEverything(loss: Double) {
        for seed in [1, 2, 3] as [UInt64] {
            let result = LossyChannelSimulation(dataLoss: loss, ackLoss: loss, seed: seed).run()
            #expect(result.senderComplete && result.receiverComplete, "loss \(loss) seed \(seed)")
            #expect(result.retransmissions > 0)
        }
    }

    @Test func lostLastSegmentIsSentAgainAfterItsTimeout() {
        let result = LossyChannelSimulation(segments: 10, dropFirstSendOf: [9]).run()
        #expect(result.senderComplete && result.receiverComplete)
        #expect(result.retransmissions == 1)
        #expect(result.time >= RetransmissionTimer.minimum)
    }

    @Test func holeIsFastRetransmittedBeforeItsTimer() {
        let result = LossyChannelSimulation(segments: 50, dropFirstSendOf: [3]).run()
        #expect(result.receiverComplete)
        #expect(result.retransmissions == 1)
        // Recovered within a few round trips, long before the initial 50 ms timeout.
        #expect(result.time < RetransmissionTimer.initial)
    }

    @Test func lostAcknowledgementsAreRecoveredByLaterOnesOrTimeouts() {
        let result = LossyChannelSimulation(segments: 100, dropAcksUntil: 5_000_000).run()
        #expect(result.senderComplete && result.receiverComplete)
        #expect(result.duplicatesAtReceiver > 0)
    }

    @Test func timerBacksOffAndRecovers() {
        var timer = RetransmissionTimer()
        #expect(timer.timeout == RetransmissionTimer.initial)
        timer.sample(200_000)
        let measured = timer.timeout
        #expect(measured >= RetransmissionTimer.minimum && measured < RetransmissionTimer.initial)
        timer.expired()
        #expect(timer.timeout == measured * 2)
        timer.sample(200_000)
        #expect(timer.timeout <= measured)
    }
}
