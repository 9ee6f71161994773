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

/// Takes a child's lines as they arrive, on the threads that read its pipes (see `SideObserver`).
public protocol LineObserver: AnyObject, Sendable {
    /// Lines that arrived together, in order. Called under the output's lock, one batch at a time.
    func take(_ lines: [CapturedLine])
}

/// Lines collected from a child's pipes while it runs, shared between the reading threads and
/// the runner. What is kept in memory is bounded: every line up to `cap` bytes (what comes after
/// is counted, not stored), or only the most recent `recentLines` lines of a side whose whole
/// output streams to its log and its observer instead.
public final class CapturedOutput: @unchecked Sendable {
    /// What is kept in memory.
    public enum Retention: Sendable {
        /// Every line, up to this many bytes.
        case all(capBytes: Int)
        /// The most recent lines, this many.
        case recent(lines: Int)
    }

    private let condition = NSCondition()
    private var lines: [CapturedLine] = []
    /// Lines that arrived before the first kept one (`recent`).
    private var evicted = 0
    private var keptBytes = 0
    private var droppedBytes = 0
    private var openStreams = 2
    private var waiters = 0
    /// True once `seal()` was called: later lines are not the child's.
    private var sealed = false
    private let retention: Retention
    /// Where every line is written as it arrives, if anywhere.
    public let log: OutputLog?
    private let observer: (any LineObserver)?
    /// A line looked for in every line as it arrives (the server's ready line), and whether it came.
    private let watch: (@Sendable (CapturedLine) -> Bool)?
    private var watchedArrived = false
    /// True: the threads that read the pipes (and judge each line, through the observer) run
    /// only on CPU time nothing else wants (`SCHED_IDLE`), so they never delay the programs
    /// whose times they take (see `ChildProcess`).
    public let readsInBackground: Bool

    /// The longest text a kept line holds (`recent`): the rest is cut, for reports only.
    static let keptLineLength = 4096

    /// - Parameters:
    ///   - retention: what is kept in memory.
    ///   - log: where every line is written as it arrives.
    ///   - observer: what takes every line as it arrives.
    ///   - watch: a line to look for in every line (`waitForWatched`), whatever is kept.
    ///   - readsInBackground: the pipes are read on idle CPU time only.
    public init(
        retention: Retention, log: OutputLog? = nil, observer: (any LineObserver)? = nil, watch: (@Sendable (CapturedLine) -> Bool)? = nil,
        readsInBackground: Bool = false
    ) {
        self.retention = retention
        self.log = log
        self.observer = observer
        self.watch = watch
        self.readsInBackground = readsInBackground
    }

    /// Every line, up to `cap` bytes.
    public convenience init(cap: Int) { self.init(retention: .all(capBytes: cap)) }

    func append(_ batch: [CapturedLine]) {
        condition.lock()
        defer { condition.unlock() }
        guard !sealed else { return }
        observer?.take(batch)
        log?.append(batch)
        if let watch, !watchedArrived { watchedArrived = batch.contains(where: watch) }
        for line in batch {
            switch retention {
            case .all(let cap):
                if keptBytes + line.text.utf8.count <= cap {
                    lines.append(line)
                    keptBytes += line.text.utf8.count + 1
                } else {
                    droppedBytes += line.text.utf8.count + 1
                }
            case .recent(let count):
                var kept = line
                if kept.text.utf8.count > Self.keptLineLength { kept.text = String(kept.text.prefix(Self.keptLineLength)) + "…" }
                lines.append(kept)
                if lines.count > 2 * count {
                    // Dropped in halves, so each line is moved at most once.
                    evicted += lines.count - count
                    lines.removeFirst(lines.count - count)
                }
            }
        }
        // Only a waiter needs waking; the readers do not wake the runner per line.
        if waiters > 0 { condition.broadcast() }
    }

    func streamClosed() {
        condition.lock()
        openStreams -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Takes no more lines and puts the log in place: the child has ended, its output is to be
    /// judged. Lines that arrive later (from a descendant still holding the pipes) are neither
    /// logged nor observed. Only here is the log touched by another thread than the readers'.
    public func seal() {
        condition.lock()
        sealed = true
        log?.close()
        condition.unlock()
    }

    /// The lines kept, in arrival order: all of them, or the most recent.
    public var snapshot: [CapturedLine] {
        condition.lock()
        defer { condition.unlock() }
        if case .recent(let count) = retention { return Array(lines.suffix(count)) }
        return lines
    }

    /// Bytes dropped: past the cap in memory (`all`), or past the log's cap.
    public var dropped: Int {
        condition.lock()
        defer { condition.unlock() }
        return droppedBytes + (log?.dropped ?? 0)
    }

    /// Waits until a stdout line satisfies `matches`, both streams close, or `deadline` passes.
    /// Lines no longer kept when it looks (`recent`) are not seen: with `recent`, watch for the
    /// line instead (`watch`, `waitForWatched`), which sees every line.
    /// - Returns: true when such a line arrived.
    public func waitForLine(until deadline: Date, where matches: (CapturedLine) -> Bool) -> Bool {
        condition.lock()
        waiters += 1
        defer {
            waiters -= 1
            condition.unlock()
        }
        var checked = 0
        while true {
            checked = max(checked, evicted)
            while checked < evicted + lines.count {
                if matches(lines[checked - evicted]) { return true }
                checked += 1
            }
            if openStreams == 0 || !condition.wait(until: deadline) { return false }
        }
    }

    /// Waits until the watched line arrived (true), both streams close, or `deadline` passes.
    public func waitForWatched(until deadline: Date) -> Bool {
        condition.lock()
        waiters += 1
        defer {
            waiters -= 1
            condition.unlock()
        }
        while !watchedArrived {
            if openStreams == 0 || !condition.wait(until: deadline) { return watchedArrived }
        }
        return true
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
