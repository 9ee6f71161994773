import Glibc

/// How long a send may go without progress when the socket's own send timeout (SO_SNDTIMEO) is
/// a shorter slice of it: after each timed-out slice the send is tried again, until `limit`
/// nanoseconds have passed since the last progress (the last slice may run past it, by at most
/// one slice). The client keeps SO_SNDTIMEO at its connect bound (at most 1.5 s, never more than
/// its idle timeout) rather than setting it again after every connect, and passes its idle
/// timeout here: one system call per transfer fewer, the same idle timeout.
public struct SendStall: Sendable {
    /// The longest wait without progress, nanoseconds; 0: the first timeout ends the send.
    public let limit: UInt64
    /// The socket's send timeout, the length of one slice.
    public let slice: UInt64
    /// When the current run of timed-out slices began (the first slice started `slice` before it ended).
    private var stalledSince: UInt64?

    /// The first send timeout ends the send.
    public static let none = SendStall(limit: 0, slice: 0)

    /// Sends may wait `limit` nanoseconds without progress, in slices of `slice`.
    public init(limit: UInt64, slice: UInt64) {
        self.limit = limit
        self.slice = slice
    }

    /// A send moved bytes.
    @inline(__always)
    public mutating func progressed() { stalledSince = nil }

    /// True for a send timeout (EAGAIN) after which the send may try again.
    public mutating func allowsRetry(after error: SystemError) -> Bool {
        error.code == EAGAIN && mayWait()
    }

    /// A slice ended without progress: true when the send may try again.
    public mutating func mayWait(now: UInt64 = MonotonicClock.now()) -> Bool {
        guard limit > 0 else { return false }
        let since = stalledSince ?? (now &- min(slice, now))
        stalledSince = since
        return now &- since < limit
    }
}
