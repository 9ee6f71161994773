import Glibc

/// How long a send or receive may go without progress when the socket's own timeout
/// (SO_SNDTIMEO, SO_RCVTIMEO) is a shorter slice of it: after each timed-out slice the call is
/// tried again, until `limit` nanoseconds have passed since the last progress (the last slice may
/// run past it, by at most one slice).
///
/// - The client keeps SO_SNDTIMEO at its connect bound (at most 1.5 s, never more than its idle
///   timeout) rather than setting it again after every connect, and passes its idle timeout here.
/// - The TCP server's listener has 50 ms timeouts, which its accepted connections inherit: it
///   sleeps in `accept` itself and writes out held lines after 50 ms without a client, where it
///   needed a `poll` before every `accept`; a peer silent for longer than a slice costs one call
///   per slice, and gets the same idle timeout.
///
/// Each saves one system call per transfer.
public struct SlicedTimeout: Sendable {
    /// The longest wait without progress, nanoseconds; 0: the first timeout ends the call.
    public let limit: UInt64
    /// The socket's own timeout, the length of one slice.
    public let slice: UInt64
    /// When the current run of timed-out slices began (the first slice started `slice` before it ended).
    private var stalledSince: UInt64?

    /// The first timeout ends the call.
    public static let none = SlicedTimeout(limit: 0, slice: 0)

    /// Calls may wait `limit` nanoseconds without progress, in slices of `slice`.
    public init(limit: UInt64, slice: UInt64) {
        self.limit = limit
        self.slice = slice
    }

    /// A call moved bytes.
    @inline(__always)
    public mutating func progressed() { stalledSince = nil }

    /// True for a timeout (EAGAIN) after which the call may try again.
    public mutating func allowsRetry(after error: SystemError) -> Bool {
        error.code == EAGAIN && mayWait()
    }

    /// A slice ended without progress: true when the call may try again.
    public mutating func mayWait(now: UInt64 = MonotonicClock.now()) -> Bool {
        guard limit > 0 else { return false }
        let since = stalledSince ?? (now &- min(slice, now))
        stalledSince = since
        return now &- since < limit
    }
}
