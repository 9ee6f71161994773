import Glibc
import Synchronization

/// Where the programs' lines go: stdout for the required messages, stderr for diagnostics.
public protocol LineSink: AnyObject {
    /// Writes one line to standard output (possibly buffered until `flush`).
    func out(_ line: String)
    /// Writes one line to standard error at once, after any buffered stdout lines.
    func diagnostic(_ line: String)
    /// Writes out every buffered stdout line.
    func flush()
    /// Writes out buffered stdout lines if the oldest has waited longer than `nanoseconds`.
    func flush(ifOlderThan nanoseconds: UInt64)
}

/// The bytes of stdout not yet written, in memory a signal handler may write out.
private let outputCapacity = 64 << 10
nonisolated(unsafe) private let outputBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: outputCapacity)
nonisolated(unsafe) private var outputCount = 0
/// Held by whoever changes the buffer or writes it out: the thread adding a line, or a signal
/// handler writing it out before the process ends. A lock-free atomic (a handler may take it,
/// never wait for it), so neither sees the other's half-made state.
private let outputBusy = Atomic<Bool>(false)
/// When the oldest held line was added (monotonic nanoseconds).
nonisolated(unsafe) private var outputSince: UInt64 = 0

/// The process's own stdout and stderr.
///
/// On a terminal every line is written at once. Into a pipe or a file, stdout lines are
/// collected (up to 64 KiB) and written by `flush()`, which the programs call before they may
/// wait for long: every write into a pipe wakes its reader, and a transfer that prints four lines
/// would otherwise pay for four wake-ups. Diagnostics are never held back; SIGTERM and SIGINT
/// write out what is held before the process ends (see `ProcessSetup`).
public final class StandardStreams: LineSink {
    private let buffered = isatty(STDOUT_FILENO) == 0

    public init() {}

    public func out(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            // The line and its end, held together (no copy of the line made to add the end).
            let count = bytes.count + 1
            guard buffered, count <= outputCapacity else {
                flush()
                var text = String(decoding: bytes, as: UTF8.self)
                text.append("\n")
                text.withUTF8 { Self.write(UnsafeRawBufferPointer($0), to: STDOUT_FILENO) }
                return
            }
            if outputCount + count > outputCapacity { flush() }
            if outputCount == 0 { outputSince = MonotonicClock.now() }
            while !outputBusy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {}
            if let start = bytes.baseAddress { (outputBuffer + outputCount).update(from: start, count: bytes.count) }
            outputBuffer[outputCount + bytes.count] = UInt8(ascii: "\n")
            outputCount += count
            outputBusy.store(false, ordering: .releasing)
        }
    }

    public func diagnostic(_ line: String) {
        flush()
        var text = line
        text.append("\n")
        text.withUTF8 { Self.write(UnsafeRawBufferPointer($0), to: STDERR_FILENO) }
    }

    public func flush() {
        Self.flushHeldOutput()
    }

    @inline(__always)
    public func flush(ifOlderThan nanoseconds: UInt64) {
        if outputCount > 0 && MonotonicClock.now() &- outputSince > nanoseconds { Self.flushHeldOutput() }
    }

    /// Writes out held stdout bytes. Safe to call from a signal handler: when a line is being
    /// added at that moment, it writes nothing rather than half a line.
    static func flushHeldOutput() {
        guard outputBusy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        defer { outputBusy.store(false, ordering: .releasing) }
        guard outputCount > 0 else { return }
        write(UnsafeRawBufferPointer(start: outputBuffer, count: outputCount), to: STDOUT_FILENO)
        outputCount = 0
    }

    /// Writes `text` to standard output at once, past any held lines (which the caller must not
    /// have): for what redraws the terminal, such as the runner's progress lines.
    public static func writeNow(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0), to: STDOUT_FILENO) }
    }

    private static func write(_ bytes: UnsafeRawBufferPointer, to fd: Int32) {
        // A closed stdout must not stop a transfer in progress: drop the line.
        try? writeFully(bytes, "write", "standard output") { Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}
