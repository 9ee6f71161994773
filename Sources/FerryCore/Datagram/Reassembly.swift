/// Which data segments of a datagram transfer arrived, and how: the receiving side of both
/// `udp` and `rudp`. Pure bookkeeping, no I/O.
public struct Reassembly: Sendable {
    /// Segments the transfer has.
    public let segments: Int
    private var seen: [UInt64]
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
        seen = [UInt64](repeating: 0, count: (segments + 63) / 64)
    }

    /// What became of one arriving segment.
    public enum Arrival: Equatable, Sendable {
        case new
        case duplicate
        /// A sequence number the transfer does not have.
        case outOfRange
    }

    /// Records segment `sequence`.
    public mutating func accept(_ sequence: Int) -> Arrival {
        guard sequence >= 0, sequence < segments else { return .outOfRange }
        if contains(sequence) {
            duplicated += 1
            return .duplicate
        }
        seen[sequence >> 6] |= 1 << UInt64(sequence & 63)
        arrived += 1
        if sequence < highest { outOfOrder += 1 } else { highest = sequence }
        while cumulative < segments && contains(cumulative) { cumulative += 1 }
        return .new
    }

    /// True when segment `sequence` arrived.
    public func contains(_ sequence: Int) -> Bool {
        seen[sequence >> 6] & (1 << UInt64(sequence & 63)) != 0
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
