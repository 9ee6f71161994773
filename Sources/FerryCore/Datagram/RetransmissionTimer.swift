/// The retransmission timeout from measured round trips (RFC 6298: SRTT, RTTVAR, RTO =
/// SRTT + 4 RTTVAR), with exponential back-off after a timeout. Times are nanoseconds.
public struct RetransmissionTimer: Sendable {
    /// The smallest timeout; far below RFC 6298's 1 s, since Ferry runs on a LAN or one machine.
    public static let minimum: UInt64 = 1_000_000
    public static let maximum: UInt64 = 1_000_000_000
    /// Before any round trip was measured.
    public static let initial: UInt64 = 50_000_000

    public private(set) var smoothed: Double?
    public private(set) var variation: Double = 0
    private var base: UInt64 = RetransmissionTimer.initial
    private var backoff: UInt64 = 1

    public init() {}

    /// The current timeout.
    public var timeout: UInt64 { min(base * backoff, Self.maximum) }

    /// Takes one round-trip sample (only from segments sent once: Karn's rule).
    public mutating func sample(_ rtt: UInt64) {
        let r = Double(rtt)
        if let srtt = smoothed {
            variation = 0.75 * variation + 0.25 * abs(srtt - r)
            smoothed = 0.875 * srtt + 0.125 * r
        } else {
            smoothed = r
            variation = r / 2
        }
        base = min(max(UInt64(smoothed! + max(4 * variation, 100_000)), Self.minimum), Self.maximum)
        backoff = 1
    }

    /// A timeout fired: double the timeout until a new sample arrives.
    public mutating func expired() {
        if base * backoff < Self.maximum { backoff *= 2 }
    }
}
