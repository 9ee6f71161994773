import Foundation

/// One line a child printed, with when it arrived.
public struct CapturedLine: Sendable, Equatable {
    /// Which stream: stdout or stderr.
    public enum Stream: String, Sendable { case stdout, stderr }
    public var stream: Stream
    /// Seconds since the child started.
    public var time: Double
    /// The text, without its newline.
    public var text: String

    /// The line as reports quote it and logs hold it: `out | text` or `err | text`.
    public var quoted: String { "\(stream == .stdout ? "out" : "err") | \(text)" }
}

/// Lines collected from a child's pipes while it runs, shared between the reading threads and
/// the runner. At most `cap` bytes are kept; what comes after is counted, not stored.
public final class CapturedOutput: @unchecked Sendable {
    private let condition = NSCondition()
    private var lines: [CapturedLine] = []
    private var keptBytes = 0
    private var droppedBytes = 0
    private var openStreams = 2
    private let cap: Int

    public init(cap: Int) { self.cap = cap }

    func append(_ line: CapturedLine) {
        condition.lock()
        if keptBytes + line.text.utf8.count <= cap {
            lines.append(line)
            keptBytes += line.text.utf8.count + 1
        } else {
            droppedBytes += line.text.utf8.count + 1
        }
        condition.broadcast()
        condition.unlock()
    }

    func streamClosed() {
        condition.lock()
        openStreams -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Every line kept so far, in arrival order.
    public var snapshot: [CapturedLine] {
        condition.lock()
        defer { condition.unlock() }
        return lines
    }

    /// The lines kept after the first `index`, in arrival order.
    public func lines(from index: Int) -> [CapturedLine] {
        condition.lock()
        defer { condition.unlock() }
        return index < lines.count ? Array(lines[index...]) : []
    }

    /// How many lines are kept.
    public var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return lines.count
    }

    /// Bytes dropped because the cap was reached (0 when everything was kept).
    public var dropped: Int {
        condition.lock()
        defer { condition.unlock() }
        return droppedBytes
    }

    /// Waits until a stdout line satisfies `matches`, both streams close, or `deadline` passes.
    /// - Returns: true when such a line arrived.
    public func waitForLine(until deadline: Date, where matches: (CapturedLine) -> Bool) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        var checked = 0
        while true {
            while checked < lines.count {
                if matches(lines[checked]) { return true }
                checked += 1
            }
            if openStreams == 0 || !condition.wait(until: deadline) { return false }
        }
    }

    /// Waits until both streams are closed (the child and everything holding its pipes are gone).
    public func waitForClose(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while openStreams > 0 {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }
}
