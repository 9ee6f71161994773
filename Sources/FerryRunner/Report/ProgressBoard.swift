import FerryCore
import Foundation
import Glibc
import Synchronization

/// The live progress lines on a terminal: one per running case, redrawn four times a second,
/// with transfers done of N (the server's time lines, counted by its `SideObserver` as they arrive), the time
/// since the case started and the running average of those times:
///
///     … tcp-vs-udp[tcp,1048576,loss 5%]  37/100 transfers  2.1 s  average 0.431 ms
///
/// Everything the runner prints goes through `sink(wrapping:)`, which lifts the progress lines
/// before the printed line and draws them again under it. Only on a terminal: into a pipe or a
/// file the runner prints plain lines.
public final class ProgressBoard: Sendable {
    /// One running case.
    struct Running {
        var name: String
        var repetitions: Int
        var started: Date
        /// Transfers the server has timed so far, and the sum of their times.
        var progress: @Sendable () -> (done: Int, sumMs: Double)
        var done = 0
        var total = 0.0
    }

    struct State {
        var running: [Int: Running] = [:]
        var nextKey = 0
        /// Lines drawn last time, to be lifted before anything else is written.
        var drawn = 0
        var stopped = false
    }

    private let state = Mutex(State())
    private let style: TerminalStyle
    private let write: @Sendable (String) -> Void
    /// How often the lines are redrawn.
    static let interval: TimeInterval = 0.25

    /// - Parameter write: writes text to the terminal as it is (no newline added).
    public init(style: TerminalStyle, write: @escaping @Sendable (String) -> Void) {
        self.style = style
        self.write = write
    }

    /// Shows a running case until `end(key)`. - Returns: its key.
    func begin(_ name: String, repetitions: Int, progress: @escaping @Sendable () -> (done: Int, sumMs: Double)) -> Int {
        state.withLock { state in
            state.nextKey += 1
            state.running[state.nextKey] = Running(name: name, repetitions: repetitions, started: Date(), progress: progress)
            return state.nextKey
        }
    }

    func end(_ key: Int) {
        state.withLock { state in
            state.running[key] = nil
            redraw(&state)
        }
    }

    /// Redraws every `interval` until `stop()`, on a thread of its own.
    public func start() {
        let thread = Thread { [self] in
            while !state.withLock({ $0.stopped }) {
                Thread.sleep(forTimeInterval: Self.interval)
                state.withLock { redraw(&$0) }
            }
        }
        thread.name = "progress"
        thread.start()
    }

    /// Lifts the progress lines for good.
    public func stop() {
        state.withLock { state in
            state.stopped = true
            write(Self.lift(state.drawn))
            state.drawn = 0
        }
    }

    /// Lifts the progress lines, runs `body` (which writes whole lines to the terminal), and draws
    /// them again below what it wrote.
    func around(_ body: () -> Void) {
        state.withLock { state in
            write(Self.lift(state.drawn))
            state.drawn = 0
            body()
            redraw(&state)
        }
    }

    /// Moves the cursor up over `lines` drawn lines and clears from there to the end of the screen.
    static func lift(_ lines: Int) -> String {
        lines == 0 ? "" : "\u{1B}[\(lines)F\u{1B}[J"
    }

    private func redraw(_ state: inout State) {
        guard !state.stopped else { return }
        let columns = Self.terminalColumns()
        var text = Self.lift(state.drawn)
        var count = 0
        for key in state.running.keys.sorted() {
            guard var running = state.running[key] else { continue }
            (running.done, running.total) = running.progress()
            state.running[key] = running
            text += style.dim(String(Self.line(running, now: Date()).prefix(columns - 1))) + "\n"
            count += 1
        }
        state.drawn = count
        if !text.isEmpty { write(text) }
    }

    /// `… name  37/100 transfers  2.1 s  average 0.431 ms`
    static func line(_ running: Running, now: Date) -> String {
        var line = "… \(running.name)  \(running.done)/\(running.repetitions) transfers  "
            + "\(Formatting.fixed(now.timeIntervalSince(running.started), decimals: 1)) s"
        if running.done > 0 { line += "  average \(Formatting.milliseconds(running.total / Double(running.done))) ms" }
        return line
    }

    static func terminalColumns() -> Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 10 else { return 80 }
        return Int(size.ws_col)
    }

    /// A sink that writes through the board: every line lifts the progress lines first.
    public func sink(wrapping inner: LineSink) -> LineSink { ProgressSink(board: self, inner: inner) }
}

/// Lines to the terminal around the progress lines; diagnostics go to stderr as before, after
/// the progress lines are lifted (both streams show on the same terminal).
final class ProgressSink: LineSink {
    let board: ProgressBoard
    let inner: LineSink

    init(board: ProgressBoard, inner: LineSink) {
        self.board = board
        self.inner = inner
    }

    func out(_ line: String) { board.around { inner.out(line) } }

    func diagnostic(_ line: String) { board.around { inner.diagnostic(line) } }

    func flush() { inner.flush() }
    func flush(ifOlderThan nanoseconds: UInt64) { inner.flush(ifOlderThan: nanoseconds) }
}
