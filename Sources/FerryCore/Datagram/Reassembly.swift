/// Which data segments of a datagram transfer arrived, and how: the receiving side of both
/// `udp` and `rudp`. Pure bookkeeping, no I/O.
///
/// Memory grows with what arrives, not with what a `start` announces: the bitmap is kept by
/// 64-segment word, only for words a segment fell in, and a segment more than `maximumAhead`
/// beyond the highest that arrived is refused (`.tooFarAhead`). A forged `start` of 2^32 − 1
/// segments costs nothing until segments come, and then no more than they do; losses on the way
/// (udp) move nothing, since the bound follows the highest segment, not the count.
public struct Reassembly: Sendable {
    /// How far beyond the highest arrived segment a segment may lie: far more than any window or
    /// burst of loss (rudp keeps at most 4096 in flight).
    public static let maximumAhead = 16_384

    /// Segments the transfer has.
    public let segments: Int
    private var seen: [Int: UInt64] = [:]
    /// One past the highest segment that arrived: the copy's bytes end with it.
    public private(set) var end = 0
    /// Distinct segments that arrived.
    public private(set) var arrived = 0
    /// Extra copies of segments that had already arrived.
    public private(set) var duplicated = 0
    /// Segments that arrived after one with a higher sequence number.
    public private(set) var outOfOrder = 0
    /// Every segment below this one arrived.
    public private(set) var cumulative = 0
    private var highest = -1

    public init(segments: Int) {
        self.segments = segments
    }

    /// What became of one arriving segment.
    public enum Arrival: Equatable, Sendable {
        case new
        case duplicate
        /// A sequence number the transfer does not have.
        case outOfRange
        /// Further ahead of what arrived than `maximumAhead`: dropped, as if lost.
        case tooFarAhead
    }

    /// Records segment `sequence`.
    public mutating func accept(_ sequence: Int) -> Arrival {
        guard sequence >= 0, sequence < segments else { return .outOfRange }
        guard sequence < end + Self.maximumAhead else { return .tooFarAhead }
        if contains(sequence) {
            duplicated += 1
            return .duplicate
        }
        seen[sequence >> 6, default: 0] |= 1 << UInt64(sequence & 63)
        arrived += 1
        end = max(end, sequence + 1)
        if sequence < highest { outOfOrder += 1 } else { highest = sequence }
        while cumulative < segments && contains(cumulative) { cumulative += 1 }
        return .new
    }

    /// True when segment `sequence` arrived.
    public func contains(_ sequence: Int) -> Bool {
        (seen[sequence >> 6] ?? 0) & (1 << UInt64(sequence & 63)) != 0
    }

    /// Segments that have not arrived.
    public var lost: Int { segments - arrived }

    /// Every segment arrived.
    public var isComplete: Bool { arrived == segments }

    /// Bit i set when segment `cumulative + 1 + i` arrived (for rudp acknowledgements).
    public var selective: UInt64 {
        var bits: UInt64 = 0
        for i in 0..<64 {
            let sequence = cumulative + 1 + i
            if sequence >= segments { break }
            if contains(sequence) { bits |= 1 << UInt64(i) }
        }
        return bits
    }
}
