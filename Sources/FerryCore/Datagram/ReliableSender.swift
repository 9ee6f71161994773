/// The sending side of `rudp`: a sliding window of segments, selective acknowledgements,
/// retransmission when a segment's timer runs out, and a fast retransmission of a hole once
/// three later segments were acknowledged. Pure state: the caller does the I/O and gives the time.
public struct ReliableSender: Sendable {
    public let segments: Int
    public let window: Int
    public private(set) var timer = RetransmissionTimer()

    /// Segments below this were all acknowledged.
    public private(set) var base = 0
    /// The next segment never sent.
    public private(set) var next = 0
    private var acked: [Bool]
    private var sentAt: [UInt64]
    private var sentOnce: [Bool]
    private var fastRetransmitted: [Bool]
    private var highestAcked = -1
    private var urgent: [Int] = []

    /// Segments sent, counting every retransmission.
    public private(set) var transmissions = 0
    /// Retransmissions only.
    public private(set) var retransmissions = 0

    public init(segments: Int, window: Int) {
        self.segments = segments
        self.window = max(window, 1)
        acked = [Bool](repeating: false, count: segments)
        sentAt = [UInt64](repeating: 0, count: segments)
        sentOnce = [Bool](repeating: true, count: segments)
        fastRetransmitted = [Bool](repeating: false, count: segments)
    }

    /// Every segment was acknowledged.
    public var isComplete: Bool { base >= segments }

    /// The segments to send at `now`, in order: fast retransmissions, expired ones, then new ones
    /// while the window allows. Each is recorded as sent at `now`.
    public mutating func due(at now: UInt64) -> [Int] {
        var result: [Int] = []
        for sequence in urgent where !acked[sequence] { result.append(sequence) }
        urgent.removeAll()
        var expired = false
        for sequence in base..<next where !acked[sequence] && !result.contains(sequence) {
            if now >= sentAt[sequence] &+ timer.timeout {
                result.append(sequence)
                expired = true
            }
        }
        if expired { timer.expired() }
        for sequence in result {
            sentOnce[sequence] = false
            retransmissions += 1
        }
        while next < segments && next < base + window {
            result.append(next)
            next += 1
        }
        for sequence in result { sentAt[sequence] = now }
        transmissions += result.count
        return result
    }

    /// Takes an acknowledgement: everything below `cumulative`, and `cumulative + 1 + i` for each set bit i.
    public mutating func acknowledge(cumulative: Int, selective: UInt64, at now: UInt64) {
        let upTo = min(cumulative, segments)
        var sequence = base
        while sequence < upTo {
            mark(sequence, now)
            sequence += 1
        }
        for bit in 0..<64 where selective & (1 << UInt64(bit)) != 0 {
            let acknowledged = cumulative + 1 + bit
            if acknowledged < next { mark(acknowledged, now) }
        }
        while base < segments && acked[base] { base += 1 }
        // Three later segments acknowledged past a hole: send the hole again without waiting.
        if highestAcked >= 3 {
            var hole = base
            while hole < min(highestAcked - 2, next) {
                if !acked[hole] && !fastRetransmitted[hole] {
                    fastRetransmitted[hole] = true
                    urgent.append(hole)
                }
                hole += 1
            }
        }
    }

    private mutating func mark(_ sequence: Int, _ now: UInt64) {
        guard sequence < next, !acked[sequence] else { return }
        acked[sequence] = true
        if sentOnce[sequence] { timer.sample(now &- sentAt[sequence]) }
        highestAcked = max(highestAcked, sequence)
    }

    /// When the earliest unacknowledged segment's timer runs out; nil when nothing is in flight.
    public func nextDeadline() -> UInt64? {
        if !urgent.isEmpty { return 0 }
        var earliest: UInt64?
        for sequence in base..<next where !acked[sequence] {
            let deadline = sentAt[sequence] &+ timer.timeout
            earliest = min(earliest ?? deadline, deadline)
        }
        return earliest
    }
}
