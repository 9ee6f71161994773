import Glibc

/// Nanoseconds from `CLOCK_MONOTONIC`: immune to wall-clock changes, cheap to read.
public enum MonotonicClock {
    /// The current reading in nanoseconds.
    @inline(__always)
    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Milliseconds between two readings.
    @inline(__always)
    public static func milliseconds(from start: UInt64, to end: UInt64) -> Double {
        Double(end &- start) / 1_000_000
    }
}
